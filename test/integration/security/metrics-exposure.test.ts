import request from 'supertest';
import { buildTestApp, type TestApp } from '../../support/test-app';

const outsideSimulatorMode = {
  FORTELLIS_API_KEY: 'real-key',
  FORTELLIS_API_SECRET: 'real-secret',
  SESSION_SECRET: 'a-session-secret-that-is-long-enough-0123456789',
  PUBLIC_URL: 'http://127.0.0.1:3000',
};

describe('/metrics outside simulator mode', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('is off without METRICS_BEARER_TOKEN, and start-up says so', async () => {
    t = await buildTestApp({ env: outsideSimulatorMode });
    const answer = await request(t.app).get('/metrics').expect(404);
    expect(answer.text).toContain('METRICS_BEARER_TOKEN');
    expect(answer.text).not.toContain('sign_ins_total');
    expect(t.logs.entries().some((entry) => entry.event === 'metrics.off')).toBe(true);
  });

  it('is served to a scraper that sends the token, and to nobody else', async () => {
    t = await buildTestApp({ env: { ...outsideSimulatorMode, METRICS_BEARER_TOKEN: 'scrape-token-0123456789' } });
    await request(t.app).get('/metrics').expect(401);
    await request(t.app).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    const scraped = await request(t.app).get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789').expect(200);
    expect(scraped.text).toContain('sign_ins_total');
  });
});

describe('/metrics in simulator mode', () => {
  it('is open, for trying the app on a laptop', async () => {
    const t = await buildTestApp();
    try {
      await request(t.app).get('/metrics').expect(200);
    } finally {
      await t.close();
    }
  });
});
