import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from './listen';

export const ROOT = path.resolve(__dirname, '../..');

const DIST = path.join(ROOT, 'dist');
const BUILD_LOCK = path.join(DIST, '.build.lock');
const BUILD_STAMP = path.join(DIST, '.built-from');
const LOCK_WAIT_CAP_MS = 5 * 60_000;

function newestSourceChange(directory = path.join(ROOT, 'src')): number {
  let newest = 0;
  for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Runs `work` holding a lock file; other jest workers wait (a synchronous sleep: this is set-up code). */
function withBuildLock(work: () => void): void {
  fs.mkdirSync(DIST, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_CAP_MS;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(BUILD_LOCK, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`${BUILD_LOCK} is still held; remove it if no test run is building`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    work();
  } finally {
    fs.rmSync(BUILD_LOCK, { force: true });
  }
}

/**
 * Compiles src/ to dist/ as `npm start` does, so tests can run the real processes. Several suites do this in
 * parallel jest workers: one compiles, the others wait and find dist/ up to date, so no process ever starts
 * from a file another tsc is half-way through writing.
 */
export function buildDist(): void {
  withBuildLock(() => {
    const sources = newestSourceChange();
    if (fs.existsSync(BUILD_STAMP) && Number(fs.readFileSync(BUILD_STAMP, 'utf8')) >= sources) return;
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
    fs.writeFileSync(BUILD_STAMP, String(sources));
  });
}

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `node <script>` with exactly `env` (plus PATH) and waits until `readyUrl` answers 200. */
export async function startProcess(script: string, env: Record<string, string>, readyUrl: string): Promise<RunningProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, script)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}:\n${output}`);
      try {
        return (await fetch(readyUrl)).status === 200;
      } catch {
        return false;
      }
    }, 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${script} did not become ready: ${(error as Error).message}\n${output}`);
  }
  return { child, output: () => output, exited, kill: (signal = 'SIGTERM') => child.kill(signal) };
}

/** What a script run to its end printed, and how it exited. */
export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node -e <script>` in the project's directory with only PATH set, to its end. */
export function runScript(script: string): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
