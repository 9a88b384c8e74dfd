import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from '../lib/redis';
import { normaliseUsername } from './users';

/**
 * Throttling of sign-in attempts (OWASP Authentication Cheat Sheet): per username, so one account cannot be
 * guessed at, and per client address, so one client cannot spray many accounts. Unknown usernames count like
 * known ones, so the throttle tells nothing about which accounts exist. Counters live in memory, or in Redis
 * to be shared by all instances.
 *
 * An attempt is reserved before its password is checked, with one atomic increment per key (rate-limiter-
 * flexible's consume(): a Lua script in Redis, a plain counter in memory), and refunded when the password was
 * right. Checking the count first and counting the failure after the ~100 ms hash let any number of
 * concurrent guesses through the check before the first failure was counted.
 */

export interface SignInLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerAddress: number;
  /** Failures are counted over this window, and a blocked key stays blocked this long. */
  windowSeconds: number;
}

/** The result of asking for an attempt: either it may go ahead, or the client waits `retryAfterSeconds`. */
export type SignInReservation = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface SignInThrottle {
  /**
   * Reserves one attempt for this username and address before the password is checked. When either is over
   * its limit the attempt is refused and nothing is reserved on the other one.
   */
  reserve(username: string, address: string): Promise<SignInReservation>;
  /** The reserved attempt was right: the username's count is cleared and the address gets its point back. */
  succeeded(username: string, address: string): Promise<void>;
  /** Seconds until this username may try again, 0 when it is not locked (for the admin users page). */
  lockedFor(username: string): Promise<number>;
  /** Lifts a username's lockout (an administrator's decision; the address count stays). */
  unlock(username: string): Promise<void>;
}

/** Builds a limiter for one kind of key; the Redis wiring passes a factory for RateLimiterRedis. */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number; blockDuration: number }) => RateLimiterAbstract;

export const memoryLimiter: LimiterFactory = (options) => new RateLimiterMemory(options);

const USERNAME_PREFIX = 'signin-user';
const ADDRESS_PREFIX = 'signin-ip';

/** The key prefixes of the second-factor throttle: its counts are apart from the passwords'. */
export const SECOND_FACTOR_PREFIXES = { username: 'mfa-user', address: 'mfa-ip' } as const;

/**
 * @param prefixes the limiters' key prefixes: the defaults for passwords, SECOND_FACTOR_PREFIXES for second
 *   factors (the same limits and the same reserve-before-check order, counted apart).
 */
export function createSignInThrottle(
  limits: SignInLimits,
  makeLimiter: LimiterFactory = memoryLimiter,
  prefixes: { username: string; address: string } = { username: USERNAME_PREFIX, address: ADDRESS_PREFIX },
): SignInThrottle {
  const byUsername = makeLimiter({ keyPrefix: prefixes.username, points: limits.maxFailuresPerUsername, duration: limits.windowSeconds, blockDuration: limits.windowSeconds });
  const byAddress = makeLimiter({ keyPrefix: prefixes.address, points: limits.maxFailuresPerAddress, duration: limits.windowSeconds, blockDuration: limits.windowSeconds });

  /** consume() rejects with a RateLimiterRes once the key is over its limit: that is an answer, not an error. */
  const take = async (limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes | 'taken'> => {
    try {
      await limiter.consume(key);
      return 'taken';
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return rejection;
      throw rejection;
    }
  };
  const waitSeconds = (refused: RateLimiterRes) => Math.max(1, Math.ceil(refused.msBeforeNext / 1000));

  return {
    async reserve(username, address) {
      const [user, ip] = await Promise.all([take(byUsername, username), take(byAddress, address)]);
      if (user === 'taken' && ip === 'taken') return { allowed: true };
      // No password is checked, so the limiter that did let it through gets its point back: its count stays the
      // number of passwords actually tried. The refused one keeps its point (a blocked key stays blocked).
      if (user === 'taken') await byUsername.reward(username);
      if (ip === 'taken') await byAddress.reward(address);
      const refused = [user, ip].filter((result): result is RateLimiterRes => result !== 'taken');
      return { allowed: false, retryAfterSeconds: Math.max(...refused.map(waitSeconds)) };
    },
    async succeeded(username, address) {
      await Promise.all([byUsername.delete(username), byAddress.reward(address)]);
    },
    async lockedFor(username) {
      // Once the points are used up, the next attempt is refused: the account is locked from then on.
      const state = await byUsername.get(normaliseUsername(username));
      return state && state.consumedPoints >= limits.maxFailuresPerUsername ? waitSeconds(state) : 0;
    },
    async unlock(username) {
      await byUsername.delete(normaliseUsername(username));
    },
  };
}

/**
 * Lifts a username's lockout where the app keeps its counters, for the CLI (a process of its own: it can reach
 * counters in Redis, not those in a server's memory).
 */
export async function unlockInRedis(client: RedisClient, prefix: string, username: string): Promise<void> {
  // The key is the one src/dependencies.ts gives the app's limiter (REDIS_KEY_PREFIX + signin-user + name). No
  // insurance limiter: while Redis is down this must fail loudly, not "unlock" a local copy and say done.
  // Deleting a key needs no limits, so any points and duration do.
  const limiter = new RateLimiterRedis({ keyPrefix: `${prefix}${USERNAME_PREFIX}`, points: 1, duration: 1, storeClient: client, useRedisPackage: true });
  await limiter.delete(normaliseUsername(username));
}
