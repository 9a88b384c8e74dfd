import type { SessionData } from 'express-session';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { RedisClient } from '../lib/redis';
import { storeUnavailable } from '../core/errors';
import { TouchThrottle } from './touch-throttle';
import { isSessionData, withoutGeneration } from './session-record';

import type { SessionBackend } from './session-backend';

const unavailable = (error: unknown) => storeUnavailable('session store', error);

export interface RedisSessionStoreOptions {
  client: RedisClient;
  clock: Clock;
  /** Idle timeout. */
  ttlMs: number;
  /** Prefix of every key, e.g. `fbff:`; several apps or test runs share one Redis without meeting. */
  prefix: string;
  touchIntervalMs?: number;
  /** Told about unreadable session records (never their id: it is the cookie's secret). */
  logger?: Pick<Logger, 'warn'>;
}

interface StoredSession {
  /** Expiry by the app's clock (ms); Redis' own TTL only cleans up. */
  e: number;
  s: SessionData;
  /** The user's session generation when the session was created (absent without a user). */
  g?: number;
}

function parseStored(raw: string): StoredSession | undefined {
  try {
    const stored = JSON.parse(raw) as Partial<StoredSession> | null;
    if (typeof stored !== 'object' || stored === null || typeof stored.e !== 'number' || !isSessionData(stored.s)) return undefined;
    if (stored.g !== undefined && typeof stored.g !== 'number') return undefined;
    return stored as StoredSession;
  } catch {
    return undefined;
  }
}

/**
 * Writes a session atomically with the check of its user's session generation (see destroyUserSessions):
 * a session created before its user's sessions were last ended is not written, and neither is a touch of
 * a session that is gone. KEYS: session, user's generation, user's session index (the last two only for a
 * signed-in session). ARGV: record, TTL (ms), '1' to write only an existing session, the session's
 * generation, its id. Returns 1 when written, 0 when refused.
 */
const WRITE_SESSION = `
if #KEYS > 1 then
  local current = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tonumber(ARGV[4]) < current then return 0 end
end
local written
if ARGV[3] == '1' then
  written = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX')
else
  written = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
if not written then return 0 end
if #KEYS > 1 then
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return 1`;

/**
 * Sessions in Redis, shared by every instance of the app. Written for this app rather than taken from
 * connect-redis, because the app needs three things connect-redis does not do: expiry by the
 * injected clock (deterministic tests), throttled touches (connect-redis sends EXPIRE on every request),
 * and an index of each user's sessions so that removing a user ends all of them at once.
 */
export class RedisSessionBackend implements SessionBackend {
  private readonly client: RedisClient;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly prefix: string;
  private readonly touches: TouchThrottle;
  private readonly logger?: Pick<Logger, 'warn'>;
  /** Keys written (set or touch): the benchmark reports writes per request. */
  writes = 0;

  constructor(options: RedisSessionStoreOptions) {
    this.client = options.client;
    this.clock = options.clock;
    this.ttlMs = options.ttlMs;
    this.prefix = options.prefix;
    this.touches = options.touchIntervalMs !== undefined ? new TouchThrottle(options.touchIntervalMs) : TouchThrottle.forTtl(options.ttlMs);
    this.logger = options.logger;
  }

  private sessionKey(sid: string): string {
    return redisSessionKey(this.prefix, sid);
  }

  private userKey(userId: string): string {
    return redisUserSessionsKey(this.prefix, userId);
  }

  private generationKey(userId: string): string {
    return redisGenerationKey(this.prefix, userId);
  }

  async get(sid: string): Promise<SessionData | null> {
    let raw: string | null;
    try {
      raw = await this.client.get(this.sessionKey(sid));
    } catch (error) {
      throw unavailable(error);
    }
    if (!raw) return null;
    const stored = parseStored(raw);
    if (!stored) {
      // An unreadable record is no session: the request goes on signed out, and the record goes.
      this.logger?.warn({ event: 'session.unreadable-record', store: 'redis' }, 'unreadable session record deleted');
      await this.destroy(sid).catch(() => undefined);
      return null;
    }
    if (stored.e <= this.clock.now()) {
      await this.destroy(sid);
      return null;
    }
    return stored.g === undefined ? stored.s : { ...stored.s, generation: stored.g };
  }

  /** Read from Redis every time, like get: nothing is kept in memory to share. */
  peek(sid: string): Promise<Readonly<SessionData> | null> {
    return this.get(sid);
  }

  async set(sid: string, data: SessionData): Promise<void> {
    try {
      await this.write(sid, data, false);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async touch(sid: string, data: SessionData): Promise<void> {
    if (!this.touches.shouldWrite(sid, this.clock.now())) return;
    // Counted as written before the write: requests that end while it is on its way must not all write too.
    this.touches.wrote(sid, this.clock.now());
    // XX: a touch never brings back a session that was destroyed meanwhile (sign-out on another instance).
    try {
      await this.write(sid, data, true);
    } catch (error) {
      // Not written after all: the next request tries again.
      this.touches.forget(sid);
      throw unavailable(error);
    }
  }

  async destroy(sid: string): Promise<void> {
    this.touches.forget(sid);
    try {
      await this.client.del(this.sessionKey(sid));
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** The user's current session generation (0 until their sessions were first ended). */
  async userSessionGeneration(userId: string): Promise<number> {
    try {
      return Number((await this.client.get(this.generationKey(userId))) ?? 0);
    } catch (error) {
      throw storeUnavailable('session store', error);
    }
  }

  async destroyUserSessions(userId: string): Promise<number> {
    return destroyRedisUserSessions(this.client, this.prefix, userId);
  }

  private async write(sid: string, data: SessionData, onlyIfExists: boolean): Promise<void> {
    const now = this.clock.now();
    const userId = data.userId;
    // A new signed-in session takes its user's current generation (one extra read, at sign-in only).
    const generation = userId ? (data.generation ?? (await this.userSessionGeneration(userId))) : undefined;
    const value = JSON.stringify({ e: now + this.ttlMs, s: withoutGeneration(data) as SessionData, g: generation } satisfies StoredSession);
    const keys = userId ? [this.sessionKey(sid), this.generationKey(userId), this.userKey(userId)] : [this.sessionKey(sid)];
    await this.client.eval(WRITE_SESSION, { keys, arguments: [value, String(this.ttlMs), onlyIfExists ? '1' : '0', String(generation ?? 0), sid] });
    this.writes += 1;
    this.touches.wrote(sid, now);
  }

}

const redisSessionKey = (prefix: string, sid: string) => `${prefix}sess:${sid}`;
const redisUserSessionsKey = (prefix: string, userId: string) => `${prefix}user-sessions:${userId}`;
/** Kept without expiry: it must outlive every session it could refuse (one small key per user). */
const redisGenerationKey = (prefix: string, userId: string) => `${prefix}user-session-generation:${userId}`;

/**
 * Ends every session of one user, on every instance. Returns how many ended. The user's generation goes
 * up first, so a session write in flight (a store switch, a touch) cannot bring a session back after the
 * deletion: WRITE_SESSION refuses a session of an older generation, and one written before the bump is
 * in the index and deleted here. For the backend and for the CLI, which runs no session backend.
 */
export async function destroyRedisUserSessions(client: RedisClient, prefix: string, userId: string): Promise<number> {
  await client.incr(redisGenerationKey(prefix, userId));
  const userKey = redisUserSessionsKey(prefix, userId);
  const sids = await client.sMembers(userKey);
  if (sids.length === 0) return 0;
  const deleted = await client.del(sids.map((sid) => redisSessionKey(prefix, sid)));
  await client.del(userKey);
  return Number(deleted);
}
