#!/usr/bin/env node
// Compiles src/ to dist/ only when a source is newer than the last build, so `npm start` and `npm run user`
// start from built JavaScript in a fraction of a second instead of running tsc (18-35 s) every time.
// `npm ci` builds once through the `prepare` script; after a `git pull` the changed files carry a new
// modification time, so the next start sees them and rebuilds. The check is one walk over src/ (a few ms).
//
// Plain JavaScript on purpose: it must run before anything is compiled. The stamp file is the one
// test/support/processes.ts writes (the newest source time the build saw), so tests and npm share a build.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.built-from');
// The compiler options change the output as much as a source does.
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json'].map((name) => path.join(ROOT, name));

/** The newest modification time under `directory` (milliseconds). */
function newestChange(directory) {
  let newest = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function main() {
  const force = process.argv.includes('--force');
  if (!fs.existsSync(SRC)) {
    // The Docker image's dependency stages install without the sources: nothing to build there.
    return;
  }
  const sources = Math.max(newestChange(SRC), ...CONFIGS.filter((file) => fs.existsSync(file)).map((file) => fs.statSync(file).mtimeMs));
  const built = fs.existsSync(STAMP) ? Number(fs.readFileSync(STAMP, 'utf8')) : 0;
  if (!force && built >= sources && fs.existsSync(path.join(DIST, 'server.js'))) return;

  let tsc;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    console.error('dist/ is missing or older than src/, and TypeScript is not installed (npm ci --omit=dev?). Run "npm ci" (with the dev dependencies) or "npm run build" where it is.');
    process.exit(1);
  }
  process.stderr.write(built ? 'Sources changed since the last build: compiling src/ to dist/ …\n' : 'Compiling src/ to dist/ (once; later starts reuse it) …\n');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  } catch {
    // tsc has printed the errors.
    process.exit(1);
  }
  fs.mkdirSync(DIST, { recursive: true });
  fs.writeFileSync(STAMP, String(sources));
}

main();
