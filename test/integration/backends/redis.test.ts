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
