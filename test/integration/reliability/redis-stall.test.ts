import request from 'supertest';
import { RedisTokenCache } from '../../../src/fortellis/redis-token-cache';
import { TokenProvider } from '../../../src/fortellis/token-provider';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually } from '../../support/listen';
import { freePort, OwnRedis } from '../../support/own-redis';
import { describeWithRedis } from '../../support/services';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

/** The requests in flight, as the app's own metric counts them. */
async function inFlight(t: TestApp): Promise<number> {
  return (await t.deps.metrics.inFlight.get()).values[0]?.value ?? 0;
}

describeWithRedis('when Redis stalls (a redis-server of the test frozen with SIGSTOP)', () => {
  let redis: OwnRedis;
  let t: TestApp | undefined;
  const start = async (env: Record<string, string>) => {
    t = await buildTestApp({ env: { REDIS_URL: redis.url, ...env } });
    return t;
  };
  beforeEach(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
  });
  afterEach(async () => {
    redis.thaw();
    await t?.close();
    t = undefined;
    await redis.stop();
  });

  it('answers 503 with Retry-After while Redis is still frozen, logs the outage once without a stack, and the session works once Redis answers', async () => {
    const t = await start({ REDIS_COMMAND_TIMEOUT_MS: '200', REDIS_PING_INTERVAL_MS: '100' });
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);

    redis.freeze();
    for (const path of ['/api/me', APPOINTMENTS, '/api/me', APPOINTMENTS]) {
      const during = await agent.get(path).expect(503);
      expect(during.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(during.headers['retry-after']).toBe('5');
    }
    await agent.get('/dashboard').set('Accept', 'text/html').expect(503);
    // The PING watchdog notices the frozen connection and drops it: commands now fail at once.
    await eventually(() => !t.deps.redis!.isReady);
    await agent.get('/api/me').expect(503);
    await request(t.app).get('/readyz').expect(503);
    await request(t.app).get('/healthz').expect(200);

    expect(t.logs.entries().filter((e) => e.event === 'redis.down')).toHaveLength(1);
    expect(t.logs.entries().filter((e) => e.code === 'store-unavailable')).toHaveLength(1);
    expect(t.logs.text).not.toMatch(/"stack"|\\n\s+at /);

    redis.thaw();
    await eventually(() => t.deps.redis!.isReady, 10_000);
    // Nothing was deleted on the way: the same cookie is still signed in.
    expect((await agent.get('/api/me').expect(200)).body.username).toBe('demo');
    await agent.get(APPOINTMENTS).expect(200);
    expect(t.logs.entries().filter((e) => e.event === 'redis.up')).toHaveLength(1);
  });

  it('does not let the sign-in throttle or the token cache wait on a frozen Redis either', async () => {
    const t = await start({ REDIS_COMMAND_TIMEOUT_MS: '200', REDIS_PING_INTERVAL_MS: '0' });
    redis.freeze();
    await expect(t.signIn()).rejects.toThrow(/failed with 503/);

    let fetched = 0;
    const provider = new TokenProvider({
      fetchToken: async () => ({ value: `local-${++fetched}`, obtainedAt: t.clock.now(), expiresAt: t.clock.now() + 3600_000, scope: 'anonymous' }),
      cache: new RedisTokenCache({ client: t.deps.redis!, clock: t.clock, prefix: 'stall-test:' }),
      cacheKey: 'k',
      clock: t.clock,
      refreshSkewMs: 0,
    });
    expect((await provider.getToken()).value).toBe('local-1');
  });

  it('refuses requests over MAX_REQUESTS_IN_FLIGHT with 503 at once while others wait on Redis', async () => {
    const t = await start({ REDIS_COMMAND_TIMEOUT_MS: '60000', REDIS_PING_INTERVAL_MS: '0', MAX_REQUESTS_IN_FLIGHT: '2' });
    const { agent } = await t.signIn();
    redis.freeze();
    const waiting = [agent.get('/api/me'), agent.get('/api/me')].map((r) => r.then((res) => res.status));
    await eventually(async () => (await inFlight(t)) === 2);

    const refused = await agent.get('/api/me').expect(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ type: 'urn:fortellis-bff:problem:overloaded' });

    redis.thaw();
    expect(await Promise.all(waiting)).toEqual([200, 200]);
    await agent.get('/api/me').expect(200);
  });
});
