import { randomUUID } from 'node:crypto';
import type { Clock } from '../lib/clock';
import type { RedisClient } from '../lib/redis';
import type { AccessToken } from './token-client';
import type { TokenCache } from './token-provider';

/**
 * The token cache shared by every instance, in Redis, with a fleet-wide single flight for renewals: one
 * instance takes a short lock (`SET NX PX`), renews its lease while the token request runs and releases it
 * only if it still owns it; the others wait for the new token to appear, up to a bounded time, and fetch
 * one themselves if it does not (or if Redis fails on the way).
 */

// Compare-and-delete / compare-and-extend must be atomic, so they run as Lua scripts on the server.
const DELETE_IF_TOKEN = `
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).value == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const DELETE_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const EXTEND_IF_OWNER = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export interface RedisTokenCacheOptions {
  client: RedisClient;
  clock: Clock;
  /** Prefix of every key (see REDIS_KEY_PREFIX). */
  prefix: string;
  /** Lease of the renewal lock; renewed every third of it while the fetch runs. */
  lockLeaseMs?: number;
  /** How long an instance waits for another one's renewal before fetching itself. */
  maxWaitMs?: number;
  /** How often a waiting instance looks for the new token. */
  pollMs?: number;
}

export class RedisTokenCache implements TokenCache {
  private readonly client: RedisClient;
  private readonly clock: Clock;
  private readonly prefix: string;
  private readonly lockLeaseMs: number;
  private readonly maxWaitMs: number;
  private readonly pollMs: number;

  constructor(options: RedisTokenCacheOptions) {
    this.client = options.client;
    this.clock = options.clock;
    this.prefix = options.prefix;
    this.lockLeaseMs = options.lockLeaseMs ?? 5000;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.pollMs = options.pollMs ?? 25;
  }

  async get(key: string): Promise<AccessToken | undefined> {
    const raw = await this.client.get(this.prefix + key);
    if (!raw) return undefined;
    const token = JSON.parse(raw) as AccessToken;
    return token.expiresAt > this.clock.now() ? token : undefined;
  }

  async set(key: string, token: AccessToken): Promise<void> {
    const ttlMs = token.expiresAt - this.clock.now();
    if (ttlMs <= 0) return;
    await this.client.set(this.prefix + key, JSON.stringify(token), { PX: ttlMs });
  }

  async deleteIf(key: string, value: string): Promise<boolean> {
    return Number(await this.client.eval(DELETE_IF_TOKEN, { keys: [this.prefix + key], arguments: [value] })) === 1;
  }

  async renewExclusively(key: string, fetch: () => Promise<AccessToken>, isFresh: (token: AccessToken) => boolean): Promise<AccessToken> {
    const lockKey = `${this.prefix}${key}:renewal-lock`;
    const owner = randomUUID();
    // Real time, not the injected clock: this bounds an actual wait on other processes.
    const deadline = Date.now() + this.maxWaitMs;

    while (Date.now() < deadline) {
      if ((await this.client.set(lockKey, owner, { NX: true, PX: this.lockLeaseMs })) === 'OK') {
        return this.fetchHoldingLock(key, lockKey, owner, fetch, isFresh);
      }
      // Another instance is renewing: wait for its token, or for its lock to go (its fetch failed).
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
        const token = await this.get(key);
        if (token && isFresh(token)) return token;
        if (!(await this.client.exists(lockKey))) break;
      }
    }
    return fetch();
  }

  private async fetchHoldingLock(
    key: string,
    lockKey: string,
    owner: string,
    fetch: () => Promise<AccessToken>,
    isFresh: (token: AccessToken) => boolean,
  ): Promise<AccessToken> {
    const lease = setInterval(() => {
      this.client.eval(EXTEND_IF_OWNER, { keys: [lockKey], arguments: [owner, String(this.lockLeaseMs)] }).catch(() => undefined);
    }, Math.floor(this.lockLeaseMs / 3));
    lease.unref();
    try {
      // Read again with the lock held: the instance that held it before may have stored its token and let go
      // between this one's last read and its taking the lock (a waiter reads the token, then checks the lock).
      // Without this, that waiter fetched a second token for the fleet.
      const stored = await this.get(key);
      if (stored && isFresh(stored)) return stored;
      return await fetch();
    } finally {
      clearInterval(lease);
      // Released by its owner only: after a lease ran out another instance may hold the lock now.
      await this.client.eval(DELETE_IF_OWNER, { keys: [lockKey], arguments: [owner] }).catch(() => undefined);
    }
  }
}
