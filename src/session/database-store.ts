import type { SessionData } from 'express-session';
import { CompiledQuery, PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Database } from '../db/schema';
import { storeUnavailable } from '../core/errors';
import { TouchThrottle } from './touch-throttle';
import { deepFreeze, parseSessionRecord, withoutGeneration } from './session-record';

import type { SessionBackend } from './session-backend';

const unavailable = (error: unknown) => storeUnavailable('session store', error);

export interface DatabaseSessionStoreOptions {
  db: Kysely<Database>;
  clock: Clock;
  /** Idle timeout: a session not used for this long is gone. */
  ttlMs: number;
  /** See TouchThrottle; default a tenth of the idle timeout, at most a minute. */
  touchIntervalMs?: number;
  /** Told about unreadable session rows (never their id: it is the cookie's secret). */
  logger?: Pick<Logger, 'warn'>;
  /**
   * A counter that moves whenever anything may have changed the database (SQLite: any write of this
   * connection, at once, or another connection's commit, from the next turn of the event loop on; see
   * SqliteChangeCounter). Given, recent rows are served from memory while it stands still. Every change, by
   * this process or another, through this backend or not, moves it. The price: any write (an access-log
   * batch, an audit entry) empties the memory, and the next read of each session goes to the database.
   */
  changeCounter?: () => string;
}

interface SessionRow {
  data: string;
  expires_at: number | string;
  generation: number | string | null;
}

/** Rows kept in memory at most (a few hundred bytes each); the whole cache goes whenever anything changed. */
const CACHED_ROWS = 10_000;

/** No generation to check yet: a new session takes the user's current one. */
const NEW_SESSION = Number.MAX_SAFE_INTEGER;

/**
 * Sessions in the app's database (SQLite by default, PostgreSQL when configured), so they survive restarts
 * and are shared by every process on the same database. MemoryStore is not used: it leaks and is
 * single-process (express-session's own warning).
 */
export class DatabaseSessionBackend implements SessionBackend {
  private readonly db: Kysely<Database>;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly touches: TouchThrottle;
  /**
   * The lookup every request makes, compiled to SQL once for this database's dialect: building and compiling
   * the same Kysely query per request cost about a third of the lookup (README, "Performance").
   */
  private readonly selectSessionSql: string;
  private readonly postgres: boolean;
  private readonly logger?: Pick<Logger, 'warn'>;
  private readonly changeCounter?: () => string;
  private readonly cache = new Map<string, SessionRow>();
  /** The sessions of rows in memory, parsed and frozen for peek. */
  private readonly parsed = new WeakMap<SessionRow, Readonly<SessionData>>();
  private cacheVersion = '';
  /**
   * This backend's own writes: counted up when one starts and when it ends, with the writes in flight. A
   * row read while one of them was on its way is not kept (it may be what the write replaces).
   */
  private writeEpoch = 0;
  private writesInFlight = 0;
  /** Rows written (set or touch): the benchmark reports writes per request. */
  writes = 0;

  constructor(options: DatabaseSessionStoreOptions) {
    this.db = options.db;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.touches = options.touchIntervalMs !== undefined ? new TouchThrottle(options.touchIntervalMs) : TouchThrottle.forTtl(options.ttlMs);
    this.selectSessionSql = this.db.selectFrom('sessions').select(['data', 'expires_at', 'generation']).where('sid', '=', '').compile().sql;
    this.postgres = this.db.getExecutor().adapter instanceof PostgresAdapter;
    this.logger = options.logger;
    this.changeCounter = options.changeCounter;
  }

  async get(sid: string): Promise<SessionData | null> {
    return this.load(sid, false);
  }

  /**
   * The session for reading only (SessionBackend.peek): while its row is in memory, one frozen object parsed
   * once. Parsing the record afresh on every proxied call (JSON.parse and the copy that adds the generation)
   * cost more than reading the row.
   */
  async peek(sid: string): Promise<Readonly<SessionData> | null> {
    return this.load(sid, true);
  }

  private async load(sid: string, shared: boolean): Promise<SessionData | null> {
    // A session destroyed by another process must stop working: read from the database, or from memory
    // only while the change counter says nothing at all has changed since.
    const row = this.cachedRow(sid) ?? (await this.readRow(sid));
    if (!row) return null;
    if (Number(row.expires_at) <= this.clock.now()) {
      await this.destroy(sid);
      return null;
    }
    if (shared) {
      const known = this.parsed.get(row);
      if (known) return known;
    }
    // Parsed afresh for get: express-session changes the object it is given (its cookie).
    const data = parseSessionRecord(row.data);
    if (!data) {
      // An unreadable row is no session: the request goes on signed out, and the row goes.
      this.logger?.warn({ event: 'session.unreadable-record', store: 'database' }, 'unreadable session record deleted');
      await this.destroy(sid).catch(() => undefined);
      return null;
    }
    const session = row.generation === null ? data : { ...data, generation: Number(row.generation) };
    // Kept parsed only with its row in memory: it goes when the row does (any change, any write of it).
    if (shared && this.cache.get(sid) === row) this.parsed.set(row, deepFreeze(session));
    return session;
  }

  private cachedRow(sid: string): SessionRow | undefined {
    if (!this.changeCounter) return undefined;
    let version: string;
    try {
      version = this.changeCounter();
    } catch {
      // The database cannot say (closed, away): nothing from memory; the read reports what is wrong.
      this.cache.clear();
      this.cacheVersion = '';
      return undefined;
    }
    if (version !== this.cacheVersion) {
      this.cache.clear();
      this.cacheVersion = version;
      return undefined;
    }
    return this.cache.get(sid);
  }

  private async readRow(sid: string): Promise<SessionRow | undefined> {
    const version = this.changeCounter ? this.cacheVersion : undefined;
    const epoch = this.writeEpoch;
    let rows: SessionRow[];
    try {
      ({ rows } = await this.db.executeQuery(CompiledQuery.raw(this.selectSessionSql, [sid]) as CompiledQuery<SessionRow>));
    } catch (error) {
      throw unavailable(error);
    }
    const row = rows[0];
    // Kept only if nothing changed while the query ran: no commit of another connection (the counter is
    // read again) and no write of this backend, started or finished.
    if (row && version !== undefined && version !== '' && epoch === this.writeEpoch && this.writesInFlight === 0 && this.changeCounterOrNone() === version) {
      if (this.cache.size >= CACHED_ROWS) this.cache.clear();
      this.cache.set(sid, row);
    }
    return row;
  }

  private changeCounterOrNone(): string {
    try {
      return this.changeCounter!();
    } catch {
      return '';
    }
  }

  async set(sid: string, data: SessionData): Promise<void> {
    const now = this.clock.now();
    const json = JSON.stringify(withoutGeneration(data));
    const expiresAt = now + this.ttlMs;
    await this.writing(
      () => (data.userId ? this.writeUserSession(sid, data.userId, json, expiresAt, data.generation ?? NEW_SESSION) : this.writeSession(sid, json, expiresAt)),
      () => this.cache.delete(sid),
    );
    this.writes += 1;
    this.touches.wrote(sid, now);
  }

  private async writeSession(sid: string, data: string, expiresAt: number): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({ sid, user_id: null, data, expires_at: expiresAt, generation: null })
      .onConflict((oc) => oc.column('sid').doUpdateSet({ user_id: null, data, expires_at: expiresAt, generation: null }))
      .execute();
  }

  /**
   * Writes a signed-in session only while its user exists, is active and has not had their sessions ended
   * since the session was created (its generation is not older than the user's). One statement, so the
   * check and the write are atomic: SQLite has one writer at a time; on PostgreSQL `FOR SHARE` locks the
   * user's row, so an ending of the user's sessions (which updates that row) either waits for this write
   * and then deletes it, or has committed first and this write finds the newer generation and writes
   * nothing. A refused write is not an error: the session is over, and the next request is signed out.
   */
  private async writeUserSession(sid: string, userId: string, data: string, expiresAt: number, generation: number): Promise<void> {
    // PostgreSQL cannot infer the types of parameters in a SELECT list, hence the casts.
    await sql`
      insert into sessions (sid, user_id, data, expires_at, generation)
      select cast(${sid} as varchar(128)), id, cast(${data} as text), cast(${expiresAt} as bigint), session_generation
      from users
      where id = ${userId} and active = 1 and session_generation <= cast(${generation} as bigint)
      ${this.postgres ? sql`for share` : sql``}
      on conflict (sid) do update set user_id = excluded.user_id, data = excluded.data, expires_at = excluded.expires_at, generation = excluded.generation
    `.execute(this.db);
  }

  async touch(sid: string, _data: SessionData): Promise<void> {
    const now = this.clock.now();
    if (!this.touches.shouldWrite(sid, now)) return;
    // Counted as written before the write: the requests that end while it is on its way would otherwise all
    // see the interval elapsed and write too (on an asynchronous database, one write per request in flight).
    this.touches.wrote(sid, now);
    try {
      await this.writing(() => this.db.updateTable('sessions').set({ expires_at: now + this.ttlMs }).where('sid', '=', sid).execute(), () => this.cache.delete(sid));
    } catch (error) {
      // Not written after all: the next request tries again.
      this.touches.forget(sid);
      throw error;
    }
    this.writes += 1;
  }

  async destroy(sid: string): Promise<void> {
    this.touches.forget(sid);
    await this.writing(() => this.db.deleteFrom('sessions').where('sid', '=', sid).execute(), () => this.cache.delete(sid));
  }

  /** The user's current session generation (0 for a user that does not exist). */
  async userSessionGeneration(userId: string): Promise<number> {
    const { rows } = await sql<{ generation: number | string }>`select session_generation as generation from users where id = ${userId}`.execute(this.db);
    return Number(rows[0]?.generation ?? 0);
  }

  /**
   * Ends every session of one user (removed, deactivated, changed). Returns how many ended. The generation
   * goes up first, so no session write in flight can bring a session back afterwards (see writeUserSession).
   */
  async destroyUserSessions(userId: string): Promise<number> {
    return this.writing(() => destroyDatabaseUserSessions(this.db, userId), () => this.cache.clear(), false);
  }

  /** Deletes expired rows; the server calls this periodically. */
  async pruneExpired(): Promise<number> {
    const result = await this.writing(() => this.db.deleteFrom('sessions').where('expires_at', '<=', this.clock.now()).executeTakeFirst(), () => this.cache.clear(), false);
    return Number(result.numDeletedRows);
  }

  /**
   * Runs one write of this backend: what it changes leaves the memory when it starts and again when it has
   * ended (a read that raced it may have put it back), and reads meanwhile are not kept. `storeError`:
   * failures as storeUnavailable (the express-session protocol's errors), or as they are.
   */
  private async writing<T>(write: () => Promise<T>, invalidate: () => void, storeError = true): Promise<T> {
    this.writeEpoch += 1;
    this.writesInFlight += 1;
    invalidate();
    try {
      return await write();
    } catch (error) {
      throw storeError ? unavailable(error) : error;
    } finally {
      this.writesInFlight -= 1;
      this.writeEpoch += 1;
      invalidate();
    }
  }
}

/**
 * Ends every session of one user in the database: the generation goes up first, so no session write in
 * flight can bring a session back afterwards (see writeUserSession). For the backend and for the CLI,
 * which ends sessions without running a session backend.
 */
export async function destroyDatabaseUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`update users set session_generation = session_generation + 1 where id = ${userId}`.execute(trx);
    const result = await trx.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
