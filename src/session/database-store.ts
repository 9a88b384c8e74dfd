import session from 'express-session';
import type { Kysely } from 'kysely';
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
  /** Rows written (set or touch): the benchmark reports writes per request. */
  writes = 0;

  constructor(options: DatabaseSessionStoreOptions) {
    super();
    this.db = options.db;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.touches = options.touchIntervalMs !== undefined ? new TouchThrottle(options.touchIntervalMs) : TouchThrottle.forTtl(options.ttlMs);
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.db
      .selectFrom('sessions')
      .select(['data', 'expires_at'])
      .where('sid', '=', sid)
      .executeTakeFirst()
      .then((row) => {
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
    this.db
      .updateTable('sessions')
      .set({ expires_at: now + this.ttlMs })
      .where('sid', '=', sid)
      .execute()
      .then(() => {
        this.recordWrite(sid, now);
        callback?.();
      }, failed(callback));
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
