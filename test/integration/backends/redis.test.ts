import type { AccessToken } from '../../../src/fortellis/token-client';
import { RedisTokenCache } from '../../../src/fortellis/redis-token-cache';
import { TokenProvider } from '../../../src/fortellis/token-provider';
import { RedisSessionBackend } from '../../../src/session/redis-store';
import { FakeClock } from '../../support/fake-clock';
import { describeSessionStoreContract } from '../../support/contracts/session-store.contract';
import { describeTokenCacheContract } from '../../support/contracts/token-cache.contract';
import { describeWithRedis, redisForTest } from '../../support/services';

describeWithRedis('Redis backends', () => {
  describeSessionStoreContract('Redis', async () => {
    const clock = new FakeClock();
    const ttlMs = 30 * 60_000;
    const redis = await redisForTest();
    return {
      store: new RedisSessionBackend({ client: redis.client, clock, ttlMs, prefix: redis.prefix }),
      clock,
      ttlMs,
      close: redis.cleanup,
      addUser: async () => undefined, // Redis knows no users: the generation key appears when needed
      plantRecord: async (sid, raw) => void (await redis.client.set(`${redis.prefix}sess:${sid}`, raw, { PX: 60_000 })),
      hasRecord: async (sid) => (await redis.client.exists(`${redis.prefix}sess:${sid}`)) === 1,
    };
  });

  describeTokenCacheContract('Redis', async () => {
    const clock = new FakeClock();
    const redis = await redisForTest();
    return { cache: new RedisTokenCache({ client: redis.client, clock, prefix: redis.prefix }), clock, close: redis.cleanup };
  });

  describe('renewing the token across instances', () => {
    it('makes exactly one token request when three instances renew at once', async () => {
      const clock = new FakeClock();
      const instances = await Promise.all([redisForTest(), redisForTest(), redisForTest()]);
      const prefix = instances[0]!.prefix; // one fleet: one prefix
      let requests = 0;
      let release!: () => void;
      const endpointAnswered = new Promise<void>((resolve) => (release = resolve));
      const fetchToken = async (): Promise<AccessToken> => {
        requests += 1;
        await endpointAnswered;
        return { value: `fleet-token-${requests}`, obtainedAt: clock.now(), expiresAt: clock.now() + 3600_000, scope: 'anonymous' };
      };
      const providers = instances.map(
        ({ client }) =>
          new TokenProvider({ fetchToken, cache: new RedisTokenCache({ client, clock, prefix, pollMs: 5 }), cacheKey: 'fleet', clock, refreshSkewMs: 60_000 }),
      );
      try {
        const calls = providers.flatMap((p) => Array.from({ length: 100 }, () => p.getToken()));
        setTimeout(release, 100);
        const tokens = await Promise.all(calls);
        expect(requests).toBe(1);
        expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['fleet-token-1']));
      } finally {
        // Open clients would keep jest from exiting after a failure.
        await Promise.all(instances.map((i) => i.cleanup()));
      }
    });

    it('takes the token the lock holder stored when the holder finished between a waiting instance\'s two checks', async () => {
      const clock = new FakeClock();
      const redis = await redisForTest();
      const token: AccessToken = { value: 'from-the-holder', obtainedAt: clock.now(), expiresAt: clock.now() + 3600_000, scope: 'anonymous' };
      const lockKey = `${redis.prefix}fleet:renewal-lock`;
      try {
        await redis.client.set(lockKey, 'another-instance', { PX: 60_000 }); // another instance is renewing
        const holder = new RedisTokenCache({ client: redis.client, clock, prefix: redis.prefix });
        // The waiter reads the token (none yet), then checks the lock: right then the holder stores its token
        // and lets go of the lock, so the waiter finds the lock free and takes it.
        let holderFinished = false;
        const client = new Proxy(redis.client, {
          get(target, name) {
            if (name === 'exists') {
              return async (...keys: Parameters<typeof target.exists>) => {
                if (!holderFinished) {
                  holderFinished = true;
                  await holder.set('fleet', token);
                  await target.del(lockKey);
                }
                return target.exists(...keys);
              };
            }
            const value: unknown = Reflect.get(target, name, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        });
        const waiter = new RedisTokenCache({ client, clock, prefix: redis.prefix, pollMs: 1 });
        let fetches = 0;
        const got = await waiter.renewExclusively(
          'fleet',
          async () => ({ ...token, value: `fetched-${++fetches}` }),
          (t) => clock.now() < t.expiresAt,
        );
        expect(holderFinished).toBe(true);
        expect(got.value).toBe('from-the-holder');
        expect(fetches).toBe(0);
      } finally {
        await redis.cleanup();
      }
    });

    it('falls back to a local fetch when Redis fails mid-way', async () => {
      const clock = new FakeClock();
      const redis = await redisForTest();
      const cache = new RedisTokenCache({ client: redis.client, clock, prefix: redis.prefix });
      let requests = 0;
      const provider = new TokenProvider({
        fetchToken: async () => ({ value: `local-${++requests}`, obtainedAt: clock.now(), expiresAt: clock.now() + 3600_000, scope: 'anonymous' }),
        cache,
        cacheKey: 'k',
        clock,
        refreshSkewMs: 0,
      });
      await redis.cleanup(); // closes the client: every Redis command now fails
      expect((await provider.getToken()).value).toBe('local-1');
      expect(requests).toBe(1);
    });
  });
});
