import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { eventually } from './listen';

export const ROOT = path.resolve(__dirname, '../..');

/** Compiles src/ to dist/ as `npm start` does, so tests can run the real processes. */
export function buildDist(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
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
