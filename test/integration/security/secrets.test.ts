import request from 'supertest';
import { buildTestApp, type TestApp } from '../../support/test-app';

/**
 * One sweep over everything a browser or a log reader can see, after sign-in, proxied calls, a token
 * failure and a refused secret: no password, API secret, access token, session cookie or CSRF token.
 */
describe('secrets stay out of logs, pages and problem JSON', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('holds for a whole session of use, failures included', async () => {
    const seen: string[] = [];
    const keep = (response: request.Response) => {
      seen.push(response.text ?? '', JSON.stringify(response.headers));
      return response;
    };

    const { agent, csrfToken, cookie } = await t.signIn();
    keep(await agent.get('/dashboard'));
    keep(await agent.get('/api/me'));
    keep(await agent.get('/api/fortellis/service/v3/appointments/'));
    keep(await agent.post('/api/fortellis/service/v3/appointments/').set('X-CSRF-Token', csrfToken).send({ invalid: true }));
    const accessToken = String(t.sim.simulator.stats().lastApiRequest!.headers.authorization).replace('Bearer ', '');

    // The token endpoint fails while the token is renewed.
    await t.deps.tokens.invalidate(accessToken);
    t.sim.simulator.addFault({ target: 'token', status: 503 });
    keep(await agent.get('/api/fortellis/service/v3/appointments/'));
    t.sim.simulator.clearFaults();
    keep(await request(t.app).post('/login').type('form').send({ username: 'demo', password: 'demo-password-typo' }));

    const sessionValue = decodeURIComponent(cookie.split('=')[1]!);
    const secrets = {
      password: 'demo-password',
      apiSecret: t.config.fortellis.apiSecret,
      accessToken,
      sessionCookie: sessionValue,
      sessionId: sessionValue.slice(2).split('.')[0]!,
    };
    const logs = t.logs.text;
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, inLogs: logs.includes(secret) }).toEqual({ name, inLogs: false });
    }
    const browserSaw = seen.join('\n');
    for (const [name, secret] of Object.entries({ ...secrets, password: 'demo-password-typo' })) {
      if (name === 'sessionCookie' || name === 'sessionId') continue; // the browser holds its own cookie
      expect({ name, inResponses: browserSaw.includes(secret) }).toEqual({ name, inResponses: false });
    }
    expect(logs).not.toContain(csrfToken);
    // The logs still say what happened.
    expect(logs).toContain('fortellis.token.failed');
    expect(logs).toContain('auth.sign-in.succeeded');
  });
});

describe('secrets when the token endpoint cannot be reached at all', () => {
  it('stay out of the logs of a dashboard view and a proxied call (transport errors carry the request headers)', async () => {
    const t = await buildTestApp();
    try {
      const { agent } = await t.signIn();
      t.sim.simulator.addFault({ target: 'token', drop: true });
      await agent.get('/dashboard').expect(200);
      await agent.get('/api/fortellis/service/v3/appointments/').expect(503);
      const basic = Buffer.from(`${t.config.fortellis.apiKey}:${t.config.fortellis.apiSecret}`).toString('base64');
      expect(t.logs.text).toContain('subscription details unavailable');
      expect(t.logs.text).not.toContain(basic);
      expect(t.logs.text).not.toContain(t.config.fortellis.apiSecret);
      expect(t.logs.text).not.toMatch(/"Authorization"/i);
    } finally {
      await t.close();
    }
  });
});
