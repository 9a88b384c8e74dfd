import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type { Pool, PoolClient } from 'pg';

export interface PostgresPoolOptions {
  /** See DatabaseOptions.onConnectionError (database.ts). */
  onConnectionError?(error: unknown): void;
  /** Whether a query's error means its connection is lost (see isPostgresOutage). */
  isOutage(error: unknown): boolean;
}

/**
 * The pg pool as Kysely's PostgreSQL dialect sees it, made to survive the server ending connections
 * (restart, failover, an idle reaper, pg_terminate_backend):
 *
 * - A connection the server ends emits 'error' on its client, idle or checked out (pg does not care), and
 *   an idle one on the pool too. Unlistened, either is an uncaught exception that ends the process. Each
 *   lost connection is reported once; pg drops it and the next query opens a fresh one.
 * - A query the server cut off fails, but pg still thinks the client queryable until the socket's end
 *   arrives, and would hand it to the next query (one more failure per lost connection). A client whose
 *   query failed that way is destroyed on release instead.
 */
export function resilientPool(pool: Pool, options: PostgresPoolOptions): PostgresPool {
  const reported = new WeakSet<PoolClient>();
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      if (reported.has(client)) return;
      reported.add(client);
      options.onConnectionError?.(error);
    });
  });
  pool.on('error', () => undefined); // the same error the client's own listener above has reported

  // Kysely keeps per-client state keyed by the object connect() returns: one wrapper per client.
  const wrappers = new WeakMap<PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        let lost = false;
        wrapper = {
          query: ((...args: Parameters<PoolClient['query']>) => {
            const result = (client.query as (...a: unknown[]) => unknown)(...args);
            // Cursors (not used by the app) come back as they are; queries are promises.
            if (!(result instanceof Promise)) return result;
            return result.catch((error: unknown) => {
              if (options.isOutage(error)) lost = true;
              throw error;
            });
          }) as PostgresPoolClient['query'],
          release(destroy?: boolean) {
            const discard = Boolean(destroy) || lost;
            lost = false;
            client.release(discard);
          },
        };
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}
