#!/usr/bin/env node
// `npm run dev`: the app with reload, for people changing its code. tsc --watch recompiles what changed into
// dist/ (incrementally: about a second), and node --watch restarts the server when dist/ or a template in
// views/ changes. Both ship with the tools the project already has, so no extra dependency (tsx, nodemon)
// is needed, and the code that runs is the code `npm start` runs: the same compiler, the same output.
'use strict';

const { spawn } = require('node:child_process');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });

const children = [];
function run(args, options) {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['inherit', options.pipe ? 'pipe' : 'inherit', 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${options.name} stopped (${signal ?? code}); stopping the rest.`);
      stop(code ?? 1);
    }
  });
  return child;
}

let stopping = false;
function stop(code) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  process.exitCode = code;
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

let server;
const compiler = run([tsc, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput'], { name: 'tsc --watch', pipe: true });
compiler.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  // The server starts after the first compile, so it never runs a half-written dist/.
  if (!server && /Found \d+ errors?\. Watching for file changes/.test(String(chunk))) {
    server = run(['--watch-path=dist', '--watch-path=views', '--watch-preserve-output', 'dist/server.js'], { name: 'the server' });
  }
});
