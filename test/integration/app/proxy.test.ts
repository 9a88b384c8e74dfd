import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { buildTestApp, type TestApp } from '../../support/test-app';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

describe('the Fortellis proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { PROXY_TIMEOUT_MS: '500' } });
    await t.addUser('sunrise-user', 'sunrise-password', SIMULATOR_SUBSCRIPTIONS.sunrise);
    await t.addUser('lakeside-user', 'lakeside-password', SIMULATOR_SUBSCRIPTIONS.lakeside);
    await t.addUser('stranger', 'stranger-password', 'no-such-subscription');
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => {
    t.sim.simulator.clearFaults();
  });

  it('returns the test dealer’s appointments to the signed-in demo user', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get(APPOINTMENTS).expect(200);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body.items.length).toBeGreaterThan(0);
    expect(response.body.items[0]).toHaveProperty('appointmentId');
    expect(response.body.totalItems).toBeGreaterThan(response.body.items.length - 1);
  });

  it('sends the app’s token, the session’s Subscription-Id and a Request-Id it also returns', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get(`${APPOINTMENTS}?page=2&pageSize=5`).expect(200);
    const seen = t.sim.simulator.stats().lastApiRequest!;
    expect(seen.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(seen.headers['subscription-id']).toBe('test');
    expect(seen.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers['request-id']).toBe(seen.headers['request-id']);
    expect(seen.path).toContain('/service/v3/appointments/');
    expect(response.body.items).toHaveLength(5);
  });

  it('gives each user their own dealer’s data', async () => {
    const demo = await t.signIn();
    const sunrise = await t.signIn('sunrise-user', 'sunrise-password');
    const a = await demo.agent.get('/api/fortellis/sales/inventory/v1/merchandisable-vehicles/').expect(200);
    const b = await sunrise.agent.get('/api/fortellis/sales/inventory/v1/merchandisable-vehicles/').expect(200);
    expect(t.sim.simulator.stats().lastApiRequest!.headers['subscription-id']).toBe(SIMULATOR_SUBSCRIPTIONS.sunrise);
    expect(a.body.items.map((v: { merchandisableVehicleId: string }) => v.merchandisableVehicleId)).not.toEqual(
      b.body.items.map((v: { merchandisableVehicleId: string }) => v.merchandisableVehicleId),
    );
  });

  it('never forwards the browser’s Authorization, Subscription-Id or Cookie', async () => {
    const { agent } = await t.signIn();
    await agent
      .get(APPOINTMENTS)
      .set('Authorization', 'Bearer browser-supplied')
      .set('Subscription-Id', SIMULATOR_SUBSCRIPTIONS.sunrise)
      .set('X-Forwarded-For', '203.0.113.9')
      .expect(200);
    const seen = t.sim.simulator.stats().lastApiRequest!.headers;
    expect(seen.authorization).not.toBe('Bearer browser-supplied');
    expect(seen['subscription-id']).toBe('test');
    expect(seen.cookie).toBeUndefined();
    expect(seen['x-forwarded-for']).toBeUndefined();
  });

  it('forwards the allowed request headers', async () => {
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).set('Accept-Language', 'fr-CA').set('If-None-Match', '"abc"').set('Prefer', 'return=minimal').expect(200);
    const seen = t.sim.simulator.stats().lastApiRequest!.headers;
    expect(seen).toMatchObject({ 'accept-language': 'fr-CA', 'if-none-match': '"abc"', prefer: 'return=minimal' });
  });

  it('proxies a POST with its JSON body and a CSRF token, and rewrites Location through the proxy', async () => {
    const { agent, csrfToken } = await t.signIn();
    const appointment = { dateTime: '2026-02-03T09:30:00-05:00', requestedServices: [{ description: 'Replace Air Filter' }] };
    const response = await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).send(appointment).expect(201);
    expect(response.body).toMatchObject({ requestedServices: [{ description: 'Replace Air Filter' }] });
    expect(t.sim.simulator.stats().lastApiRequest).toMatchObject({ method: 'POST', body: expect.objectContaining(appointment) });
    if (response.headers.location) expect(response.headers.location).toMatch(/^\/api\/fortellis\/service\/v3\/appointments\//);
    await agent.get(`/api/fortellis/service/v3/appointments/${response.body.appointmentId}`).expect(200);
    await agent.delete(`/api/fortellis/service/v3/appointments/${response.body.appointmentId}`).set('X-CSRF-Token', csrfToken).expect(204);
  });

  it('refuses an unsafe call without the CSRF header, before calling Fortellis', async () => {
    const { agent } = await t.signIn();
    const before = t.sim.simulator.stats().apiRequests;
    const response = await agent.post(APPOINTMENTS).send({ dateTime: '2026-02-03T09:30:00Z' }).expect(403);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body.title).toBe('Request refused');
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
  });

  it('refuses an unsafe call with a wrong CSRF token', async () => {
    const { agent } = await t.signIn();
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', 'forged').send({}).expect(403);
  });

  it('refuses a cross-site unsafe call even with the right token', async () => {
    const { agent, csrfToken } = await t.signIn();
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).set('Origin', 'https://evil.example').send({}).expect(403);
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).set('Sec-Fetch-Site', 'cross-site').send({}).expect(403);
  });

  it('refuses same-site (sibling subdomain) requests too, as Fetch Metadata reports them', async () => {
    const { agent, csrfToken } = await t.signIn();
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).set('Sec-Fetch-Site', 'same-site').send({}).expect(403);
  });

  it('accepts a same-origin call whose Origin is "null" (what no-referrer makes browsers send) when Sec-Fetch-Site says same-origin', async () => {
    const { agent, csrfToken } = await t.signIn();
    const appointment = { dateTime: '2026-02-04T09:30:00-05:00', requestedServices: [{ description: 'Wiper blades' }] };
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).set('Origin', 'null').set('Sec-Fetch-Site', 'same-origin').send(appointment).expect(201);
    // Without Fetch Metadata, an opaque origin is not trusted.
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).set('Origin', 'null').send(appointment).expect(403);
  });

  it('answers 401 problem JSON to a browser that is not signed in, without calling Fortellis', async () => {
    const before = t.sim.simulator.stats().apiRequests;
    const response = await request(t.app).get(APPOINTMENTS).expect(401);
    expect(response.body).toMatchObject({ status: 401, title: 'Not signed in' });
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
  });

  it('carries a Fortellis error code through, explained: an inactive subscription', async () => {
    const { agent } = await t.signIn('lakeside-user', 'lakeside-password');
    const response = await agent.get(APPOINTMENTS).expect(403);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body).toMatchObject({
      status: 403,
      fortellisCode: 'API-SUBSCRIPTION-INACTIVE',
      detail: expect.stringMatching(/not active/),
      requestId: response.headers['request-id'],
    });
  });

  it('carries a Fortellis error code through, explained: an unknown subscription', async () => {
    const { agent } = await t.signIn('stranger', 'stranger-password');
    const response = await agent.get(APPOINTMENTS).expect(403);
    expect(response.body.fortellisCode).toBe('SUBSCRIPTION-MISMATCH');
  });

  it('passes an API’s own error (no gateway code) through unchanged', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get('/api/fortellis/service/v3/appointments/does-not-exist').expect(404);
    expect(response.body).toMatchObject({ code: 404 });
    expect(response.body.fortellisCode).toBeUndefined();
  });

  it('passes a 400 from the ping of a dealer without CRM through', async () => {
    const { agent } = await t.signIn('sunrise-user', 'sunrise-password');
    const response = await agent.get('/api/fortellis/crm/cdk-crm/v1/leads/ping').expect(400);
    expect(JSON.stringify(response.body)).toContain('Connection Not OK');
  });

  it('makes one token request for 50 concurrent calls', async () => {
    const { agent } = await t.signIn();
    await t.deps.tokens.invalidate(t.deps.tokens.peek()?.value ?? '');
    t.sim.simulator.resetStats();
    const responses = await Promise.all(Array.from({ length: 50 }, () => agent.get(APPOINTMENTS)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(t.sim.simulator.stats()).toMatchObject({ tokenRequests: 1, apiRequests: 50 });
  });

  it('never lets the access token reach the browser', async () => {
    const { agent, csrfToken } = await t.signIn();
    const responses = [
      await agent.get(APPOINTMENTS),
      await agent.get('/api/me'),
      await agent.get('/dashboard'),
      await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).send({ bad: true }),
      await agent.get('/api/fortellis/crm/cdk-crm/v1/leads/ping'),
    ];
    const token = String(t.sim.simulator.stats().lastApiRequest!.headers.authorization).replace('Bearer ', '');
    for (const response of responses) {
      expect(response.text).not.toContain(token);
      expect(JSON.stringify(response.headers)).not.toContain(token);
    }
    expect(t.logs.text).not.toContain(token);
  });

  it('renews a token Fortellis says has expired and replays the call once', async () => {
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);
    t.sim.simulator.expireTokens();
    t.sim.simulator.resetStats();
    await agent.get(APPOINTMENTS).expect(200);
    expect(t.sim.simulator.stats()).toMatchObject({ tokenRequests: 1, apiRequests: 2 });
  });

  it('replays a POST body after renewing an expired token', async () => {
    const { agent, csrfToken } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);
    t.sim.simulator.expireTokens();
    const appointment = { dateTime: '2026-03-01T08:00:00-05:00', requestedServices: [{ description: 'Rotate tires' }] };
    await agent.post(APPOINTMENTS).set('X-CSRF-Token', csrfToken).send(appointment).expect(201);
    expect(t.sim.simulator.stats().lastApiRequest!.body).toMatchObject(appointment);
  });

  it('does not loop when even the fresh token is refused: one replay, then the error', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'api', status: 401, code: 'INVALID-TOKEN' });
    t.sim.simulator.resetStats();
    const response = await agent.get(APPOINTMENTS).expect(401);
    expect(response.body.fortellisCode).toBe('INVALID-TOKEN');
    expect(t.sim.simulator.stats()).toMatchObject({ apiRequests: 2, tokenRequests: 1 });
  });

  it('answers 504 problem JSON when Fortellis is too slow', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'api', delayMs: 2000, count: 1 });
    const response = await agent.get(APPOINTMENTS).expect(504);
    expect(response.body).toMatchObject({ status: 504, title: 'Fortellis did not answer in time' });
    await agent.get(APPOINTMENTS).expect(200);
  });

  it('answers 502 problem JSON when the connection to Fortellis breaks, on the retry too', async () => {
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);
    // A GET on a reused connection that breaks is sent once more on a fresh one: break both.
    t.sim.simulator.addFault({ target: 'api', drop: true, count: 2 });
    const response = await agent.get(APPOINTMENTS).expect(502);
    expect(response.body).toMatchObject({ status: 502, title: 'Fortellis could not be reached' });
  });

  it.each([
    '/api/fortellis/service/%2e%2e/%2e%2e/admin',
    '/api/fortellis/service/%252e%252e/admin',
    '/api/fortellis/service%2f..%2fadmin',
    '/api/fortellis//evil.example/x',
    '/api/fortellis/x%0d%0aHost:%20evil',
    '/api/fortellis/user@evil.example',
  ])('refuses the escaping path %s with 400 before calling Fortellis', async (path) => {
    const { agent } = await t.signIn();
    const before = t.sim.simulator.stats().apiRequests;
    const response = await agent.get(path).expect(400);
    expect(response.body).toMatchObject({ status: 400, title: 'Bad API path' });
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
  });

  it('refuses a body over the limit with 413', async () => {
    const { agent, csrfToken } = await t.signIn();
    const response = await agent
      .post(APPOINTMENTS)
      .set('X-CSRF-Token', csrfToken)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ remarks: 'x'.repeat(t.config.proxy.bodyLimitBytes) }))
      .expect(413);
    expect(response.body.title).toBe('Request body too large');
  });
});

describe('the proxy in front of an API that misbehaves', () => {
  let t: TestApp;
  let upstream: http.Server;
  beforeAll(async () => {
    upstream = http.createServer((_req, res) => {
      res.setHeader('Set-Cookie', 'upstream=secret; Path=/');
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('X-Internal-Debug', 'do-not-leak');
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('ETag', '"v1"');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    t = await buildTestApp({ adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: `http://127.0.0.1:${port}` } }) });
  });
  afterAll(async () => {
    await t.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('drops Set-Cookie and headers not on the safe list, keeps content type and ETag', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get('/api/fortellis/anything').expect(200);
    expect(response.body).toEqual({ ok: true });
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.headers['x-internal-debug']).toBeUndefined();
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers.etag).toBe('"v1"');
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('the proxy when the token endpoint refuses the app’s secret', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiSecret: 'wrong-secret-value' } }) });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a clear problem that names the cause, without the secret', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get(APPOINTMENTS).expect(502);
    expect(response.body).toMatchObject({ status: 502, title: expect.stringContaining('refused'), detail: expect.stringMatching(/API key or secret is wrong/) });
    expect(response.text).not.toContain('wrong-secret-value');
    expect(t.logs.text).not.toContain('wrong-secret-value');
    expect(t.logs.text).toContain('invalid_client');
  });
});
