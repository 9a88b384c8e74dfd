import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Command, ReadyMessage, ReplyMessage, Role } from './server-process';

/**
 * The load side of the benchmark, which runs in the parent process: it starts each server in a child
 * process, signs in like a browser, drives load with autocannon, and measures latency itself with
 * microsecond resolution (autocannon's histogram truncates to whole milliseconds, too coarse for a
 * "≤ 1 ms added" target).
 */

export interface ChildServer {
  url: string;
  command<T>(command: Command): Promise<T>;
  /** Resolves when the process has exited (after `close`). */
  exited: Promise<void>;
}

export interface SpawnOptions {
  /** Write a V8 CPU profile of this server to `dir` when it exits (`node --cpu-prof`). */
  cpuProfileDir?: string;
}

/**
 * The V8 flags the app runs with in production (`npm start`, the Dockerfile; a test checks they agree): a
 * larger young generation, so that a request's short-lived objects die there instead of being promoted
 * (README, "Performance"). The bff phase runs with them; the baseline runs as its developer would, with none.
 */
export const PRODUCTION_NODE_FLAGS = ['--max-semi-space-size=128'];

/** Starts `role` in its own Node process with `--expose-gc`, and waits until it listens. */
export function spawnServer(role: Role, options: Record<string, string | undefined>, spawn: SpawnOptions = {}): Promise<ChildServer> {
  const execArgv = ['--expose-gc', ...(role === 'bff' ? PRODUCTION_NODE_FLAGS : [])];
  if (spawn.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${spawn.cpuProfileDir}`, `--cpu-prof-name=${role}-${Date.now()}.cpuprofile`);
  const child: ChildProcess = fork(path.join(__dirname, 'server-process.js'), [role, JSON.stringify(options)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;

  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const error = new Error(`${role} server exited with code ${code}`);
      reject(error); // before it was ready
      for (const waiting of pending.values()) waiting.reject(error); // or while the benchmark waited for it
      pending.clear();
    });
    child.on('message', (message: ReadyMessage | ReplyMessage) => {
      if (message.type === 'ready') {
        resolve({
          url: message.url,
          exited,
          command<T>(command: Command): Promise<T> {
            const id = nextId++;
            return new Promise<T>((resolveReply, rejectReply) => {
              if (child.exitCode !== null) return rejectReply(new Error(`${role} server has exited`));
              pending.set(id, { resolve: resolveReply as (value: unknown) => void, reject: rejectReply });
              child.send({ id, command });
            });
          },
        });
        return;
      }
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) waiting?.reject(new Error(`${role}: ${message.error}`));
      else waiting?.resolve(message.result);
    });
  });
}

/** Stops a child server and waits for its process to end (its CPU profile is written then). */
export async function stopServer(server: ChildServer): Promise<void> {
  await server.command('close');
  await server.exited;
}

/**
 * Signs in like a browser: GET /login for the form's `_csrf` and the login-CSRF cookie, then POST /login.
 * Returns the session cookie (`name=value`) for the load generator.
 */
export async function signIn(baseUrl: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${baseUrl}/login`);
  const html = await form.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const loginCookie = form.headers.getSetCookie().map((c) => c.split(';', 1)[0]).join('; ');
  if (!csrf || !loginCookie) throw new Error(`GET /login gave no _csrf field or cookie (status ${form.status})`);
  const login = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ username, password, _csrf: csrf }).toString(),
  });
  const session = login.headers.getSetCookie().find((c) => c.includes('.sid='));
  if (login.status !== 303 || !session) throw new Error(`POST /login answered ${login.status} without a session cookie`);
  return session.split(';', 1)[0]!;
}

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
  pipelining: number;
}

export interface LoadResult {
  /** Completed requests per second over the run. */
  rps: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Answers that were not 2xx. */
  non2xx: number;
  /** Completed requests. */
  requests: number;
}

/** Latencies in milliseconds, kept at full resolution; percentiles by sorting (a few hundred thousand values). */
class Latencies {
  private values = new Float64Array(1 << 16);
  private count = 0;

  record(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const sorted = this.values.slice(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.ceil((p / 100) * this.count) - 1)]!;
  }
}

/** Rounds to microseconds (in ms) so the JSON stays readable. */
const ms3 = (value: number) => Math.round(value * 1000) / 1000;

/** Runs autocannon, recording every response time (fractional ms) into `latencies`. */
function runAutocannon(options: autocannon.Options, latencies: Latencies): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.record(responseTime));
  });
}

/** autocannon at full speed against `url` (closed loop: each connection sends again as soon as answered). */
export async function maxLoad(url: string, headers: Record<string, string>, settings: LoadSettings): Promise<LoadResult> {
  return autocannonLoad(url, headers, settings);
}

/**
 * An open-loop load at a fixed rate, evenly paced (every millisecond the requests that are due are sent),
 * each latency measured from its send to the end of its answer. autocannon's `overallRate` is not used for
 * this: it gives each connection a per-second quota that all connections spend at once at the start of every
 * second, so at any rate the server sees bursts of `connections` concurrent requests and the figure is the
 * queueing of a full-load burst, not the latency the app adds.
 */
export async function pacedLoad(url: string, headers: Record<string, string>, rate: number, durationSeconds: number, maxConnections: number): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxConnections });
  const latencies = new Latencies();
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let non2xx = 0;
  const requestOptions = { agent, host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers };

  const fire = () => {
    const started = performance.now();
    const request = http.get(requestOptions, (response) => {
      if (response.statusCode! < 200 || response.statusCode! >= 300) non2xx += 1;
      response.on('data', () => undefined);
      response.once('end', () => {
        completed += 1;
        latencies.record(performance.now() - started);
      });
    });
    request.once('error', () => {
      errors += 1;
    });
  };

  const start = performance.now();
  const end = start + durationSeconds * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      const due = Math.floor(((Math.min(now, end) - start) / 1000) * rate);
      while (sent < due) {
        sent += 1;
        fire();
      }
      if (now >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  // Let the last answers arrive (bounded).
  const deadline = performance.now() + 10_000;
  while (completed + errors < sent && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  agent.destroy();
  return {
    rps: Math.round(completed / durationSeconds),
    p50: ms3(latencies.percentile(50)),
    p99: ms3(latencies.percentile(99)),
    errors: errors + (sent - completed - errors),
    non2xx,
    requests: completed,
  };
}

/** autocannon's own fixed-rate mode (`overallRate`), reported beside the paced figure to show the difference. */
export async function autocannonRate(url: string, headers: Record<string, string>, rate: number, settings: LoadSettings): Promise<LoadResult> {
  return autocannonLoad(url, headers, settings, rate);
}

/** One autocannon run with the bench's settings (and a fixed overall rate when given), summarised. */
async function autocannonLoad(url: string, headers: Record<string, string>, settings: LoadSettings, overallRate?: number): Promise<LoadResult> {
  const latencies = new Latencies();
  const result = await runAutocannon(
    {
      url,
      headers,
      connections: settings.connections,
      pipelining: settings.pipelining,
      duration: settings.durationSeconds,
      ...(overallRate === undefined ? {} : { overallRate }),
    },
    latencies,
  );
  return {
    rps: Math.round(result.requests.total / result.duration),
    p50: ms3(latencies.percentile(50)),
    p99: ms3(latencies.percentile(99)),
    errors: result.errors,
    non2xx: result.non2xx,
    requests: result.requests.total,
  };
}

/** A positive whole number from the environment (a bench setting), or `fallback` when unset. */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return value;
}
