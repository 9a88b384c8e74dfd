import request from 'supertest';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually } from '../../support/listen';
import { freePort, OwnRedis } from '../../support/own-redis';
import { describeWithRedis } from '../../support/services';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

describeWithRedis('when Redis goes down and comes back', () => {
  let redis: OwnRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
    t = await buildTestApp({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it('answers 503 to signed-in calls, reports not ready, stays alive, and heals by itself', async () => {
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);
    await request(t.app).get('/readyz').expect(200, { status: 'ok', checks: { database: 'ok', redis: 'ok' } });

    await redis.stop();
    await eventually(() => !t.deps.redis!.isReady);
    const during = await agent.get(APPOINTMENTS).expect(503);
    expect(during.headers['content-type']).toMatch(/problem\+json/);
    expect(during.body).toMatchObject({ status: 503, title: 'Temporarily unavailable' });
    const readiness = await request(t.app).get('/readyz').expect(503);
    expect(readiness.body.checks).toEqual({ database: 'ok', redis: 'unavailable' });
    await request(t.app).get('/healthz').expect(200);
    // Signing in needs Redis too: a clear answer, not a crash.
    await expect(t.signIn()).rejects.toThrow(/failed with 503/);

    await redis.start();
    await eventually(() => t.deps.redis!.isReady, 10_000);
    await request(t.app).get('/readyz').expect(200);
    // This Redis keeps nothing on disk, so earlier sessions are gone: sign in again and carry on.
    const again = await t.signIn();
    await again.agent.get(APPOINTMENTS).expect(200);
    expect(t.logs.entries().filter((e) => e.event === 'redis.down')).toHaveLength(1);
  });
});
