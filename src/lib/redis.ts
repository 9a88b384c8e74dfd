import { createClient } from 'redis';
import type { Logger } from './logger';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisOptions {
  url: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** How long start-up waits for a first connection before it goes on without (readiness says so). */
  connectWaitMs?: number;
  /** Longest wait for any one command's answer (REDIS_COMMAND_TIMEOUT_MS); then the command fails. */
  commandTimeoutMs?: number;
  /** How often the connection is checked with a PING (REDIS_PING_INTERVAL_MS); 0: never. */
  pingIntervalMs?: number;
}

export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;
export const DEFAULT_REDIS_PING_INTERVAL_MS = 5000;

/** A command Redis did not answer in time (Redis stalled, or the connection is dead without knowing it). */
export class RedisTimeoutError extends Error {
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`Redis did not answer ${command} within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/** Stops the PING watchdog of each client (closeRedis calls it). */
const watchdogs = new WeakMap<RedisClient, () => void>();

/**
 * A Redis client that fails fast instead of queueing: while Redis is down, commands reject at once (the
 * request gets a clear 503, the token cache falls back to a local fetch), and the client keeps reconnecting
 * in the background so the app heals by itself. Outages are logged once when they start and once when
 * they end, not per failed command.
 *
 * Every command of the client has a deadline (see withCommandTimeouts), so a stalled Redis costs each request
 * at most that long; and a PING now and then notices a connection that died without telling (a frozen
 * server, a lost peer: TCP keep-alive takes minutes), drops it, failing its pending commands at once, and
 * connects afresh.
 */
export async function connectRedis(options: RedisOptions): Promise<RedisClient> {
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  const pingIntervalMs = options.pingIntervalMs ?? DEFAULT_REDIS_PING_INTERVAL_MS;
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      // TCP keep-alive as a second line: it notices a vanished peer of an idle connection eventually.
      keepAlive: true,
      keepAliveInitialDelay: 5000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  });
  withCommandTimeouts(client, commandTimeoutMs);

  let down = false;
  const markDown = (detail: string) => {
    if (down) return;
    down = true;
    options.logger.warn({ event: 'redis.down', detail }, 'Redis unavailable; reconnecting');
  };
  client.on('error', (error: Error & { code?: string }) => markDown(error.code ?? error.message));
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger.info({ event: 'redis.up' }, 'Redis reachable again');
  });

  if (pingIntervalMs > 0) {
    let pinging = false;
    const timer = setInterval(() => {
      if (pinging || !client.isReady) return;
      pinging = true;
      client
        .ping()
        .catch((error: unknown) => {
          if (!(error instanceof RedisTimeoutError) || !client.isOpen) return;
          // The connection looks alive but nothing comes back: drop it (its pending commands fail now
          // instead of whenever Redis answers) and connect again; commands fail fast until it is ready.
          markDown(error.message);
          client.destroy();
          client.connect().catch(() => undefined);
        })
        .finally(() => (pinging = false));
    }, pingIntervalMs);
    timer.unref();
    watchdogs.set(client, () => clearInterval(timer));
  }

  const connecting = client.connect().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, options.connectWaitMs ?? 5000)))]);
  clearTimeout(timer);
  if (!client.isReady) {
    options.logger.warn({ event: 'redis.not-ready-at-start' }, 'starting without Redis; it is retried in the background');
  }
  return client;
}

/**
 * Gives every command of `client` a deadline: after `timeoutMs` without an answer the caller's promise
 * rejects with a RedisTimeoutError. Done on the client itself so that every user of it (session store,
 * token cache, the sign-in throttle's rate limiter) gets it.
 *
 * node-redis' own `commandOptions.timeout` is not enough: it only covers a command still waiting to be
 * written to the socket (node-redis PR #3008: "once a command is sent over the wire, the timeout is deleted"),
 * and a stalled server accepts writes. So the deadline races the reply instead. The late reply, if it ever
 * comes, still settles node-redis' own promise, which keeps its queue in order; it is just not waited for.
 * Plain commands and scripts all go through `sendCommand`; MULTI and pipelines through their `exec`.
 */
export function withCommandTimeouts(client: RedisClient, timeoutMs: number): RedisClient {
  // createClient hands out a thin object over the client itself (`_self`), and commands run on the latter.
  const self = ((client as unknown as { _self?: RedisClient })._self ?? client) as unknown as Record<string, unknown>;
  const sendCommand = (self.sendCommand as (...a: unknown[]) => Promise<unknown>).bind(self);
  self.sendCommand = (args: readonly unknown[], ...rest: unknown[]) => withDeadline(sendCommand(args, ...rest), String(args[0]).toUpperCase(), timeoutMs);

  const multi = self.multi as (this: unknown) => ReturnType<RedisClient['multi']>;
  const timedMulti = function (this: unknown) {
    const transaction = multi.call(this);
    const exec = transaction.exec.bind(transaction);
    const execAsPipeline = transaction.execAsPipeline.bind(transaction);
    const t = transaction as unknown as Record<string, unknown>;
    t.exec = (...args: unknown[]) => withDeadline((exec as (...a: unknown[]) => Promise<unknown>)(...args), 'MULTI', timeoutMs);
    t.execAsPipeline = () => withDeadline(execAsPipeline(), 'PIPELINE', timeoutMs);
    return transaction;
  };
  self.multi = timedMulti;
  self.MULTI = timedMulti;
  return client;
}

function withDeadline<T>(reply: Promise<T>, command: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    // A busy process (a burst of requests, a GC pause) runs expired timers before it reads its sockets, so
    // an answer Redis sent in time may be waiting unread when the timer fires. setImmediate lets the loop
    // read it first; only a command still unanswered after that has missed its deadline.
    timer = setTimeout(() => setImmediate(() => reject(new RedisTimeoutError(command, timeoutMs))), timeoutMs);
    timer.unref();
  });
  // A reply that fails after the deadline has nobody waiting for it: not an unhandled rejection.
  reply.catch(() => undefined);
  return Promise.race([reply, deadline]).finally(() => clearTimeout(timer));
}

/** Closes the client whether or not it is connected. */
export async function closeRedis(client: RedisClient): Promise<void> {
  watchdogs.get(client)?.();
  if (client.isOpen) {
    await client.quit().catch(() => client.destroy());
  } else {
    client.destroy();
  }
}
