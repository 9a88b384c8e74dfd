import { buildTestApp, type TestApp } from '../../support/test-app';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

describe('when the Fortellis token endpoint fails', () => {
  let t: TestApp;
  beforeEach(async () => {
    // Sessions outlive a token here, so that the tests can move the clock across a token's lifetime.
    t = await buildTestApp({ env: { FORTELLIS_TOKEN_TIMEOUT_MS: '300', SESSION_IDLE_TIMEOUT_SECONDS: '7200', SESSION_ABSOLUTE_TIMEOUT_SECONDS: '86400' } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers 503 problem JSON with Retry-After, and the next call after the fault succeeds', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'token', status: 503 });
    const response = await agent.get(APPOINTMENTS).expect(503);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body).toMatchObject({ status: 503, title: 'Fortellis sign-in service unavailable', requestId: response.headers['request-id'] });
    t.sim.simulator.clearFaults();
    t.clock.advanceSeconds(1);
    await agent.get(APPOINTMENTS).expect(200);
  });

  it('answers 503 instead of hanging when the token endpoint does not answer in time', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'token', delayMs: 5000 });
    const response = await agent.get(APPOINTMENTS).expect(503);
    expect(response.body.detail).toMatch(/not answering/);
    expect(t.logs.text).toContain('token request timed out');
  });

  it('does not stampede: while the endpoint is down, concurrent and repeated calls make one request per back-off step', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'token', status: 500 });
    t.sim.simulator.resetStats();
    const burst = await Promise.all(Array.from({ length: 20 }, () => agent.get(APPOINTMENTS)));
    expect(burst.every((r) => r.status === 503)).toBe(true);
    for (let i = 0; i < 10; i += 1) await agent.get(APPOINTMENTS).expect(503);
    expect(t.sim.simulator.stats().tokenRequests).toBe(1);
    t.clock.advanceSeconds(1);
    await agent.get(APPOINTMENTS).expect(503);
    expect(t.sim.simulator.stats().tokenRequests).toBe(2);
    // The back-off doubles: one second later is still too early.
    t.clock.advanceSeconds(1);
    const early = await agent.get(APPOINTMENTS).expect(503);
    expect(early.headers['retry-after']).toBe('1');
    expect(t.sim.simulator.stats().tokenRequests).toBe(2);
  });

  it('keeps using the cached token while a renewal ahead of expiry fails, and renews once the fault ends', async () => {
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);
    t.sim.simulator.resetStats();
    t.clock.advanceSeconds(3600 - 30); // inside the 60 s refresh skew
    t.sim.simulator.addFault({ target: 'token', status: 503 });
    for (let i = 0; i < 5; i += 1) await agent.get(APPOINTMENTS).expect(200);
    expect(t.sim.simulator.stats()).toMatchObject({ tokenRequests: 1, apiRequests: 5 });
    t.sim.simulator.clearFaults();
    t.clock.advanceSeconds(2);
    await agent.get(APPOINTMENTS).expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.sim.simulator.stats().tokenRequests).toBe(2);
    t.clock.advanceSeconds(60); // the old token has expired by now; the renewed one serves
    await agent.get(APPOINTMENTS).expect(200);
    expect(t.sim.simulator.stats().tokenRequests).toBe(2);
  });

  it('logs a renewal once, not once per request', async () => {
    const { agent } = await t.signIn();
    await Promise.all(Array.from({ length: 30 }, () => agent.get(APPOINTMENTS)));
    expect(t.logs.entries().filter((e) => e.event === 'fortellis.token.renewed')).toHaveLength(1);
  });
});
