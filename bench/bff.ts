import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { createHttpServer } from '../src/web/server';
import { loadConfig, pointAtSimulator } from '../src/config/load';
import { buildDependencies } from '../src/dependencies';
import { systemClock } from '../src/lib/clock';
import { asyncLogDestination, createLogger } from '../src/lib/logger';
import { startSimulator } from '../src/simulator';

/**
 * The app under test, built the way production builds it (src/server.ts, src/run.ts): configuration from
 * an environment object with NODE_ENV=production, the real dependencies (SQLite session store in a file,
 * token provider, metrics with process metrics on), logging at `info` to a real asynchronous destination so
 * that the cost of a log line per request is in the figures. Only two things differ from production:
 * the token endpoint is the embedded simulator (so token requests can be counted), and the API base URL is
 * the bare upstream that the other phases use too.
 */

export const BENCH_USER = { username: 'bench', password: 'bench-password-not-secret', subscriptionId: 'test' } as const;

export interface BffOptions {
  upstreamUrl: string;
  /** Set to run the session store (and whatever else buildDependencies puts there) on Redis. */
  redisUrl?: string;
  /** Where log lines go; default /dev/null (written all the same, asynchronously, as in production). */
  logFile?: string;
}

export interface BffStats {
  /** Requests to the token endpoint since start (sign-in included). */
  tokenRequests: number;
  /** Session store writes since start (`writes` of the store, when it counts them). */
  storeWrites: number | null;
  /** Class name of the session store that ran. */
  sessionStore: string;
}

export interface RunningBff {
  url: string;
  stats(): BffStats;
  close(): Promise<void>;
}

export async function startBff(options: BffOptions): Promise<RunningBff> {
  const clientId = 'bench-client';
  const clientSecret = randomBytes(24).toString('base64url');
  const simulator = await startSimulator({ port: 0, host: '127.0.0.1', clientId, clientSecret });

  // The port is needed for PUBLIC_URL (the origin the CSRF checks accept): find a free one first.
  const port = await freePort();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-bench-'));
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    DATABASE_URL: `sqlite:${path.join(dataDir, 'app.db')}`,
    FORTELLIS_API_KEY: clientId,
    FORTELLIS_API_SECRET: clientSecret,
    LOG_LEVEL: 'info',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
  };
  const simulated = pointAtSimulator(loadConfig(env), simulator.url);
  const config = { ...simulated, fortellis: { ...simulated.fortellis, apiBaseUrl: options.upstreamUrl } };

  const destination = asyncLogDestination(options.logFile ?? '/dev/null');
  const logger = createLogger({ level: config.logLevel, destination });
  const deps = await buildDependencies(config, { clock: systemClock, logger, processMetrics: true });
  await deps.users.create({
    username: BENCH_USER.username,
    passwordHash: await deps.passwords.hash(BENCH_USER.password),
    subscriptionId: BENCH_USER.subscriptionId,
  });
  // As src/run.ts does: createHttpServer (src/web/server.ts), which calls the API's handler without Express.
  const server = createHttpServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({
      tokenRequests: simulator.simulator.stats().tokenRequests,
      // Read loosely: a store that does not count its writes (another backend) reports null, not a type error.
      storeWrites: typeof (deps.sessionStore as { writes?: unknown }).writes === 'number' ? (deps.sessionStore as { writes: number }).writes : null,
      sessionStore: deps.sessionStore.constructor.name,
    }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
      await simulator.close();
      destination.flushSync();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An ephemeral loopback port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
