import { createClient } from 'redis';
import type { Logger } from './logger';

export type RedisClient = ReturnType<typeof createClient>;

export interface RedisOptions {
  url: string;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** How long start-up waits for a first connection before it goes on without (readiness says so). */
  connectWaitMs?: number;
}

/**
 * A Redis client that fails fast instead of queueing: while Redis is down, commands reject at once (the
 * request gets a clear 503, the token cache falls back to a local fetch), and the client keeps reconnecting
 * in the background so the app heals by itself. Outages are logged once when they start and once when
 * they end, not per failed command.
 */
export async function connectRedis(options: RedisOptions): Promise<RedisClient> {
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000) },
  });
  let down = false;
  client.on('error', (error: Error & { code?: string }) => {
    if (down) return;
    down = true;
    options.logger.warn({ event: 'redis.down', detail: error.code ?? error.message }, 'Redis unavailable; reconnecting');
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    options.logger.info({ event: 'redis.up' }, 'Redis reachable again');
  });

  const connecting = client.connect().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, options.connectWaitMs ?? 5000)))]);
  clearTimeout(timer);
  if (!client.isReady) {
    options.logger.warn({ event: 'redis.not-ready-at-start' }, 'starting without Redis; it is retried in the background');
  }
  return client;
}

/** Closes the client whether or not it is connected. */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.isOpen) {
    await client.quit().catch(() => client.destroy());
  } else {
    client.destroy();
  }
}
