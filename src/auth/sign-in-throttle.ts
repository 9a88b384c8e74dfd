import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Throttling of failed sign-ins (OWASP Authentication Cheat Sheet): per username, so one account cannot be
 * guessed at, and per client address, so one client cannot spray many accounts. Only failures count; a
 * success clears the username's count. Unknown usernames count like known ones, so the throttle tells
 * nothing about which accounts exist. Counters live in memory, or in Redis to be shared by all instances.
 */

export interface SignInLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerAddress: number;
  /** Failures are counted over this window, and a blocked key stays blocked this long. */
  windowSeconds: number;
}

export interface SignInThrottle {
  /** Seconds until this username and address may try again (0: now). */
  secondsUntilAllowed(username: string, address: string): Promise<number>;
  recordFailure(username: string, address: string): Promise<void>;
  recordSuccess(username: string): Promise<void>;
}

/** Builds a limiter for one kind of key; the Redis wiring passes a factory for RateLimiterRedis. */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number; blockDuration: number }) => RateLimiterAbstract;

export const memoryLimiter: LimiterFactory = (options) => new RateLimiterMemory(options);

export function createSignInThrottle(limits: SignInLimits, makeLimiter: LimiterFactory = memoryLimiter): SignInThrottle {
  const byUsername = makeLimiter({ keyPrefix: 'signin-user', points: limits.maxFailuresPerUsername, duration: limits.windowSeconds, blockDuration: limits.windowSeconds });
  const byAddress = makeLimiter({ keyPrefix: 'signin-ip', points: limits.maxFailuresPerAddress, duration: limits.windowSeconds, blockDuration: limits.windowSeconds });

  const waitFor = (result: RateLimiterRes | null, points: number) =>
    result && result.consumedPoints >= points ? Math.max(1, Math.ceil(result.msBeforeNext / 1000)) : 0;

  /** consume() rejects with a RateLimiterRes once the key is over its limit: that is expected, not an error. */
  const count = async (limiter: RateLimiterAbstract, key: string) => {
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
    }
  };

  return {
    async secondsUntilAllowed(username, address) {
      const [user, ip] = await Promise.all([byUsername.get(username), byAddress.get(address)]);
      return Math.max(waitFor(user, limits.maxFailuresPerUsername), waitFor(ip, limits.maxFailuresPerAddress));
    },
    async recordFailure(username, address) {
      await Promise.all([count(byUsername, username), count(byAddress, address)]);
    },
    async recordSuccess(username) {
      await byUsername.delete(username);
    },
  };
}
