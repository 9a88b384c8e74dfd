import session from 'express-session';
import type { SessionBackend } from './session-backend';

type Callback<T = void> = (error?: unknown, value?: T) => void;

/**
 * The one express-session store of the app: translates express-session's callback protocol to a
 * SessionBackend's promises. Nothing else: expiry, corrupt records, throttled touches and session
 * generations are the backend's.
 */
export class ExpressSessionStore extends session.Store {
  constructor(readonly backend: SessionBackend) {
    super();
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.backend.get(sid).then((data) => callback(undefined, data), callback);
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.backend.set(sid, data).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    this.backend.touch(sid, data).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.backend.destroy(sid).then(() => callback?.(), (error: unknown) => callback?.(error));
  }

  destroyUserSessions(userId: string): Promise<number> {
    return this.backend.destroyUserSessions(userId);
  }

  userSessionGeneration(userId: string): Promise<number> {
    return this.backend.userSessionGeneration(userId);
  }

  pruneExpired(): Promise<number> {
    return this.backend.pruneExpired?.() ?? Promise.resolve(0);
  }

  get writes(): number {
    return this.backend.writes;
  }
}
