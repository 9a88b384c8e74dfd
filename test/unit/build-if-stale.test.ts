import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/processes';

/**
 * `npm start`, `npm run user` and `npm ci` (prepare) run scripts/build-if-stale.js: it compiles only when a
 * source is newer than the last build, so a start after `git pull` picks up the change and every other start
 * skips tsc. Run here on a one-file project in a temporary directory (the real tsc, the repository's
 * node_modules), so the test never races the real dist/.
 */
describe('the build-if-stale start-up step', () => {
  let dir: string;
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [path.join(dir, 'scripts/build-if-stale.js'), ...args], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const runAndTell = (...args: string[]) => {
    const result = spawnSync(process.execPath, [path.join(dir, 'scripts/build-if-stale.js'), ...args], { cwd: dir, encoding: 'utf8' });
    return { status: result.status as number, said: `${result.stdout}${result.stderr}` };
  };
  const setMtime = (file: string, ms: number) => fs.utimesSync(path.join(dir, file), ms / 1000, ms / 1000);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'build-if-stale-'));
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.mkdirSync(path.join(dir, 'src'));
    fs.copyFileSync(path.join(ROOT, 'scripts/build-if-stale.js'), path.join(dir, 'scripts/build-if-stale.js'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, types: [] } }));
    fs.writeFileSync(path.join(dir, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'] }));
    fs.writeFileSync(path.join(dir, 'src/server.ts'), 'export const answer: number = 1;\n');
    const past = Date.now() - 60_000;
    for (const file of ['tsconfig.json', 'tsconfig.build.json', 'src/server.ts']) setMtime(file, past);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('compiles when there is no build yet', () => {
    expect(runAndTell().said).toMatch(/Compiling src\/ to dist\//);
    expect(fs.readFileSync(path.join(dir, 'dist/server.js'), 'utf8')).toContain('answer = 1');
  });

  it('does nothing when dist/ is up to date', () => {
    expect(run()).toBe('');
    expect(runAndTell().said).toBe('');
  });

  it('compiles again when a source changed after the build (a git pull)', () => {
    fs.writeFileSync(path.join(dir, 'src/server.ts'), 'export const answer: number = 2;\n');
    setMtime('src/server.ts', Date.now() + 60_000);
    expect(runAndTell().said).toMatch(/Sources changed since the last build/);
    expect(fs.readFileSync(path.join(dir, 'dist/server.js'), 'utf8')).toContain('answer = 2');
    expect(runAndTell().said).toBe('');
  });

  it('fails, with tsc’s errors, when the sources do not compile', () => {
    fs.writeFileSync(path.join(dir, 'src/server.ts'), 'export const answer: number = "two";\n');
    setMtime('src/server.ts', Date.now() + 120_000);
    const outcome = runAndTell();
    expect(outcome.status).toBe(1);
    expect(outcome.said).toMatch(/TS2322/);
  });

  it('skips the build where there are no sources (the Docker image’s dependency stage)', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'build-if-stale-empty-'));
    fs.mkdirSync(path.join(empty, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts/build-if-stale.js'), path.join(empty, 'scripts/build-if-stale.js'));
    try {
      expect(execFileSync(process.execPath, [path.join(empty, 'scripts/build-if-stale.js')], { encoding: 'utf8' })).toBe('');
      expect(fs.existsSync(path.join(empty, 'dist'))).toBe(false);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });
});
