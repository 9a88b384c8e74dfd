import session from 'express-session';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Clock } from '../lib/clock';
import type { Database } from '../db/schema';
import { storeUnavailable } from '../http/errors';
import { TouchThrottle } from './touch-throttle';

type Callback<T = void> = (error?: unknown, value?: T) => void;

const failed = (callback: Callback<never> | undefined) => (error: unknown) => callback?.(storeUnavailable('session store', error));

export interface DatabaseSessionStoreOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Idle timeout: a session not used for this long is gone. */
  ttlMs: number;
  /** See TouchThrottle; default a tenth of the idle timeout, at most a minute. */
  touchIntervalMs?: number;
}

/**
 * express-session store on the app's database (SQLite by default, PostgreSQL when configured), so sessions
 * survive restarts and are shared by every process on the same database. MemoryStore is not used: it leaks
 * and is single-process (express-session's own warning).
 */
export class DatabaseSessionStore extends session.Store {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly touches: TouchThrottle;
  /**
   * The lookup every request makes, compiled to SQL once for this database's dialect: building and compiling
   * the same Kysely query per request cost about a third of the lookup (README, "Performance").
   */
  private readonly selectSessionSql: string;
  /** Rows written (set or touch): the benchmark reports writes per request. */
  writes = 0;

  constructor(options: DatabaseSessionStoreOptions) {
    super();
    this.db = options.db;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.touches = options.touchIntervalMs !== undefined ? new TouchThrottle(options.touchIntervalMs) : TouchThrottle.forTtl(options.ttlMs);
    this.selectSessionSql = this.db.selectFrom('sessions').select(['data', 'expires_at']).where('sid', '=', '').compile().sql;
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    // Read on every request, never cached: a session destroyed by another process must stop working at once.
    this.db
      .executeQuery(CompiledQuery.raw(this.selectSessionSql, [sid]) as CompiledQuery<{ data: string; expires_at: number | string }>)
      .then(({ rows }) => {
        const row = rows[0];
        if (!row) return callback(undefined, null);
        if (Number(row.expires_at) <= this.clock.now()) {
          return this.destroy(sid, (error) => callback(error, null));
        }
        callback(undefined, JSON.parse(row.data) as session.SessionData);
      }, failed(callback));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const now = this.clock.now();
    const row = { sid, user_id: data.userId ?? null, data: JSON.stringify(data), expires_at: now + this.ttlMs };
    this.db
      .insertInto('sessions')
      .values(row)
      .onConflict((oc) => oc.column('sid').doUpdateSet({ user_id: row.user_id, data: row.data, expires_at: row.expires_at }))
      .execute()
      .then(() => {
        this.recordWrite(sid, now);
        callback?.();
      }, failed(callback));
  }

  override touch(sid: string, _data: session.SessionData, callback?: Callback): void {
    const now = this.clock.now();
    if (!this.touches.shouldWrite(sid, now)) {
      callback?.();
      return;
    }
    // Counted as written before the write: the requests that end while it is on its way would otherwise all
    // see the interval elapsed and write too (on an asynchronous database, one write per request in flight).
    this.touches.wrote(sid, now);
    this.db
      .updateTable('sessions')
      .set({ expires_at: now + this.ttlMs })
      .where('sid', '=', sid)
      .execute()
      .then(
        () => {
          this.writes += 1;
          callback?.();
        },
        (error: unknown) => {
          // Not written after all: the next request tries again.
          this.touches.forget(sid);
          failed(callback)(error);
        },
      );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.touches.forget(sid);
    this.db
      .deleteFrom('sessions')
      .where('sid', '=', sid)
      .execute()
      .then(() => callback?.(), failed(callback));
  }

  /** Ends every session of one user (removed or deactivated). Returns how many ended. */
  async destroyUserSessions(userId: string): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Deletes expired rows; the server calls this periodically. */
  async pruneExpired(): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', this.clock.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private recordWrite(sid: string, now: number): void {
    this.writes += 1;
    this.touches.wrote(sid, now);
  }
}
