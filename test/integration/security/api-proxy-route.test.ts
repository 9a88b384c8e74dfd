import request from 'supertest';
import { createHttpServer } from '../../../src/web/server';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually } from '../../support/listen';

/**
 * /api/fortellis/* is answered by a lean route without Express' middleware stack (src/web/api-proxy-route.ts):
 * the production server calls it on Node's own objects, the Express app mounts it first. Every defence of the
 * stack must hold there too: these are the ones no other proxy test reaches.
 */

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

describe('the lean API proxy route keeps every defence of the middleware stack', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { MAX_REQUESTS_IN_FLIGHT: '1', PROXY_TIMEOUT_MS: '1000' } });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => t.sim.simulator.clearFaults());

  it('answers 421 to a Host the app does not answer for (DNS rebinding), before the session is read', async () => {
    const { cookie } = await t.signIn();
    const before = t.sim.simulator.stats().apiRequests;
    const response = await request(t.app).get(APPOINTMENTS).set('Host', 'attacker.example').set('Cookie', cookie).expect(421);
    expect(response.body).toMatchObject({ type: 'urn:fortellis-bff:problem:unknown-host' });
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
  });

  it('treats a session cookie with a forged signature as no session: 401, nothing proxied', async () => {
    const { cookie } = await t.signIn();
    // fbff.sid=s%3A<sid>.<signature>: the same id with another signature.
    const forged = cookie.replace(/\.[^.;]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(forged).not.toBe(cookie);
    const before = t.sim.simulator.stats().apiRequests;
    await request(t.app).get(APPOINTMENTS).set('Cookie', forged).expect(401);
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
    // The genuine cookie still works (a forged value is never remembered as verified)...
    await request(t.app).get(APPOINTMENTS).set('Cookie', cookie).expect(200);
    // ...and once the genuine one is remembered, the forged one still fails, as does a value that does not
    // even decode (a client's mistake: 401, never a 500).
    await request(t.app).get(APPOINTMENTS).set('Cookie', forged).expect(401);
    const name = cookie.slice(0, cookie.indexOf('='));
    await request(t.app).get(APPOINTMENTS).set('Cookie', `${name}=s%3A%E0%A4%A`).expect(401);
    expect(t.sim.simulator.stats().apiRequests).toBe(before + 1);
  });

  it('ends a session past its absolute lifetime on a proxied call, and the session stays gone', async () => {
    const { agent } = await t.signIn();
    const step = t.config.session.idleTimeoutMs / 2;
    for (let elapsed = 0; elapsed < t.config.session.absoluteTimeoutMs - step; elapsed += step) {
      t.clock.advance(step);
      await agent.get(APPOINTMENTS).expect(200);
    }
    t.clock.advance(step);
    await agent.get(APPOINTMENTS).expect(401);
    await agent.get('/api/me').expect(401);
  });

  it('keeps a session alive through proxied calls alone (the touch the stack would do)', async () => {
    const { agent } = await t.signIn();
    // Calls a little more often than the idle timeout, for longer than it: only the touches keep it alive.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(t.config.session.idleTimeoutMs * 0.6);
      await agent.get(APPOINTMENTS).expect(200);
    }
    await agent.get('/api/me').expect(200);
  });

  it('counts proxied calls against MAX_REQUESTS_IN_FLIGHT with the rest of the app: 503 with Retry-After over the cap', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'api', delayMs: 60_000, count: 1 });
    const held = agent.get(APPOINTMENTS).then((r) => r.status);
    await eventually(() => t.sim.simulator.stats().pendingFaultDelays === 1);

    const refused = await agent.get(APPOINTMENTS).expect(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ type: 'urn:fortellis-bff:problem:overloaded' });
    // The stack's routes share the same cap.
    await agent.get('/api/me').expect(503);

    t.sim.simulator.clearFaults();
    expect(await held).toBe(504);

    // Each call counted out once when it ended, and the refused ones never (they were not counted in):
    // the cap holds exactly as before.
    await agent.get(APPOINTMENTS).expect(200);
    t.sim.simulator.addFault({ target: 'api', delayMs: 60_000, count: 1 });
    const heldAgain = agent.get(APPOINTMENTS).then((r) => r.status);
    await eventually(() => t.sim.simulator.stats().pendingFaultDelays === 1);
    await agent.get(APPOINTMENTS).expect(503);
    t.sim.simulator.clearFaults();
    expect(await heldAgain).toBe(504);
  });

  it('writes one log line per proxied call with its Request-Id, user, status and the upstream status, and counts it', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get(`${APPOINTMENTS}?page=2`).expect(200);
    const requestId = response.headers['request-id'];
    await eventually(() => t.logs.entries().some((e) => e.requestId === requestId && e.msg === 'request'));
    const lines = t.logs.entries().filter((e) => e.requestId === requestId && e.msg === 'request');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'GET', path: APPOINTMENTS, status: 200, upstreamStatus: 200 });
    expect(typeof lines[0]!.userId).toBe('string');
    const counted = (await t.deps.metrics.httpRequests.get()).values.find((v) => v.labels.route === '/api/fortellis/*' && v.labels.status === '200');
    expect(counted?.value).toBeGreaterThan(0);
  });

  it('sends the API answer headers: no-store, nosniff, no Referer, same-origin resources, the sandboxing CSP', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get(APPOINTMENTS).expect(200);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
    });
    expect(response.headers['content-security-policy']).toMatch(/sandbox/);
  });

  it('holds the same defences on the production server, where the route runs without Express at all', async () => {
    const { cookie, csrfToken } = await t.signIn();
    const server = createHttpServer(t.app);
    try {
      const before = t.sim.simulator.stats().apiRequests;
      const host = 'localhost';
      await request(server).get(APPOINTMENTS).set('Host', 'attacker.example').set('Cookie', cookie).expect(421);
      await request(server).get(APPOINTMENTS).set('Host', host).expect(401);
      await request(server).get(APPOINTMENTS).set('Host', host).set('Cookie', cookie.replace(/\.[^.;]+$/, '.AAAA')).expect(401);
      await request(server).post(APPOINTMENTS).set('Host', host).set('Cookie', cookie).send({}).expect(403);
      await request(server).post(APPOINTMENTS).set('Host', host).set('Cookie', cookie).set('X-CSRF-Token', csrfToken).set('Sec-Fetch-Site', 'cross-site').send({}).expect(403);
      expect(t.sim.simulator.stats().apiRequests).toBe(before);
      const ok = await request(server).get(APPOINTMENTS).set('Host', host).set('Cookie', cookie).expect(200);
      expect(ok.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(ok.headers['content-security-policy']).toContain('sandbox');
      expect(t.sim.simulator.stats().apiRequests).toBe(before + 1);
    } finally {
      server.close();
    }
  });
});
