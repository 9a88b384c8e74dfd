import type { SessionData } from 'express-session';

/**
 * Where sessions live, over plain data and promises: what the SQLite/PostgreSQL and Redis backends
 * implement, and all they implement. express-session sees them through one adapter
 * (express-session-store.ts); the API's lean route (src/web/api-proxy-route.ts) reads them directly.
 *
 * Every backend keeps the same promises (test/support/contracts/session-store.contract.ts runs one suite
 * over all of them): a session is gone after the idle timeout by the injected clock; an unreadable record
 * is no session and is deleted; touches are throttled (TouchThrottle); ending a user's sessions bumps the
 * user's session generation first, so that no write in flight can bring one back.
 */
export interface SessionBackend {
  /** The session, with `generation` filled in for a signed-in one; null when there is none (or it expired). */
  get(sid: string): Promise<SessionData | null>;
  /**
   * The same session for reading only (the API's lean route): it may be one object shared by many calls,
   * frozen, so it must not be changed. get() hands out a fresh one each time, for express-session, which
   * changes what it gets.
   */
  peek(sid: string): Promise<Readonly<SessionData> | null>;
  /** Writes a session (a signed-in one only while its generation is current). */
  set(sid: string, data: SessionData): Promise<void>;
  /** Extends an unchanged session's idle timeout (throttled; never brings back a destroyed one). */
  touch(sid: string, data: SessionData): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** Ends every session of one user, on every instance; returns how many ended. */
  destroyUserSessions(userId: string): Promise<number>;
  /** The user's current session generation (0 until their sessions were first ended). */
  userSessionGeneration(userId: string): Promise<number>;
  /** Deletes expired records, where the backend does not expire them itself. */
  pruneExpired?(): Promise<number>;
  /** Records written (set or touch) since start: the benchmark reports writes per request. */
  readonly writes: number;
}
