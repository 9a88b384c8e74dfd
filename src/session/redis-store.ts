import session from 'express-session';
import type { Clock } from '../lib/clock';
import type { RedisClient } from '../lib/redis';
import { storeUnavailable } from '../http/errors';
import { TouchThrottle } from './touch-throttle';

type Callback<T = void> = (error?: unknown, value?: T) => void;

export interface RedisSessionStoreOptions {
  client: RedisClient;
  clock: Clock;
  /** Idle timeout. */
  ttlMs: number;
  /** Prefix of every key, e.g. `fbff:`; several apps or test runs share one Redis without meeting. */
  prefix: string;
  touchIntervalMs?: number;
}

interface StoredSession {
  /** Expiry by the app's clock (ms); Redis' own TTL only cleans up. */
  e: number;
  s: session.SessionData;
}

/**
 * express-session store in Redis, shared by every instance of the app. Written for this app rather than
 * taken from connect-redis, because the app needs three things connect-redis does not do: expiry by the
 * injected clock (deterministic tests), throttled touches (connect-redis sends EXPIRE on every request),
 * and an index of each user's sessions so that removing a user ends all of them at once.
 */
export class RedisSessionStore extends session.Store {
  private readonly client: RedisClient;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly touches: TouchThrottle;
  /** Keys written (set or touch): the benchmark reports writes per request. */
  writes = 0;

  constructor(options: RedisSessionStoreOptions) {
    super();
    this.client = options.client;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.prefix = options.prefix;
    this.touches = options.touchIntervalMs !== undefined ? new TouchThrottle(options.touchIntervalMs) : TouchThrottle.forTtl(options.ttlMs);
  }

  private sessionKey(sid: string): string {
    return `${this.prefix}sess:${sid}`;
  }

  private userKey(userId: string): string {
    return `${this.prefix}user-sessions:${userId}`;
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    this.client.get(this.sessionKey(sid)).then((raw) => {
      if (!raw) return callback(undefined, null);
      const stored = JSON.parse(raw) as StoredSession;
      if (stored.e <= this.clock.now()) return this.destroy(sid, (error) => callback(error, null));
      callback(undefined, stored.s);
    }, this.failed(callback));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.write(sid, data, false).then(() => callback?.(), this.failed(callback));
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    if (!this.touches.shouldWrite(sid, this.clock.now())) {
      callback?.();
      return;
    }
    // Counted as written before the write: requests that end while it is on its way must not all write too.
    this.touches.wrote(sid, this.clock.now());
    // XX: a touch never brings back a session that was destroyed meanwhile (sign-out on another instance).
    this.write(sid, data, true).then(
      () => callback?.(),
      (error: unknown) => {
        // Not written after all: the next request tries again.
        this.touches.forget(sid);
        this.failed(callback)(error);
      },
    );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.touches.forget(sid);
    this.client.del(this.sessionKey(sid)).then(() => callback?.(), this.failed(callback));
  }

  /** Ends every session of one user, on every instance. Returns how many ended. */
  async destroyUserSessions(userId: string): Promise<number> {
    const userKey = this.userKey(userId);
    const sids = await this.client.sMembers(userKey);
    if (sids.length === 0) return 0;
    const deleted = await this.client.del(sids.map((sid) => this.sessionKey(sid)));
    await this.client.del(userKey);
    return Number(deleted);
  }

  private async write(sid: string, data: session.SessionData, onlyIfExists: boolean): Promise<void> {
    const now = this.clock.now();
    const value = JSON.stringify({ e: now + this.ttlMs, s: data } satisfies StoredSession);
    const multi = this.client.multi();
    multi.set(this.sessionKey(sid), value, onlyIfExists ? { PX: this.ttlMs, XX: true } : { PX: this.ttlMs });
    if (data.userId) {
      multi.sAdd(this.userKey(data.userId), sid);
      multi.pExpire(this.userKey(data.userId), this.ttlMs);
    }
    await multi.exec();
    this.writes += 1;
    this.touches.wrote(sid, now);
  }

  private failed(callback: Callback<never> | undefined) {
    return (error: unknown) => callback?.(storeUnavailable('session store', error));
  }
}
