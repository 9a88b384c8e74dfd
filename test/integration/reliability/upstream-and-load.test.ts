import http from 'node:http';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually, listen, type Listening } from '../../support/listen';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

/** A plain HTTP GET over a given agent; resolves with the status. */
function get(url: string, cookie: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { Cookie: cookie } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
  });
}

describe('the proxy under faults and load, over real sockets', () => {
  let t: TestApp;
  let app: Listening;
  let cookie: string;
  beforeAll(async () => {
    t = await buildTestApp();
    app = await listen(t.app);
    cookie = (await t.signIn()).cookie;
  });
  afterAll(async () => {
    await app.close();
    await t.close();
  });
  afterEach(() => t.sim.simulator.clearFaults());

  it('aborts the upstream request when the browser disconnects', async () => {
    t.sim.simulator.addFault({ target: 'api', delayMs: 60_000, count: 1 });
    const req = http.get(`${app.url}${APPOINTMENTS}`, { headers: { Cookie: cookie } });
    req.on('error', () => undefined);
    await eventually(() => t.sim.simulator.stats().pendingFaultDelays === 1);
    req.destroy();
    // The simulator only ends its delay early when its own client (our proxy) goes away.
    await eventually(() => t.sim.simulator.stats().pendingFaultDelays === 0);
    await eventually(() => t.logs.entries().some((e) => e.path === APPOINTMENTS && e.aborted === true));
  });

  it('serves a few thousand concurrent calls with no failure, one token and a bounded connection pool', async () => {
    await t.deps.tokens.invalidate(t.deps.tokens.peek()?.value ?? '');
    t.sim.simulator.resetStats();
    let upstreamConnections = 0;
    const agent = t.deps.upstreamAgent;
    const original = agent.createConnection;
    agent.createConnection = function countedConnection(this: http.Agent, ...args: Parameters<typeof original>) {
      upstreamConnections += 1;
      return original.apply(this, args);
    };

    const client = new http.Agent({ keepAlive: true, maxSockets: 200 });
    const total = 3000;
    const statuses = await Promise.all(Array.from({ length: total }, () => get(`${app.url}${APPOINTMENTS}`, cookie, client)));
    client.destroy();
    agent.createConnection = original;

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(t.sim.simulator.stats()).toMatchObject({ tokenRequests: 1, apiRequests: total });
    // At most one upstream connection per concurrent browser connection, reused for the rest.
    expect(upstreamConnections).toBeLessThanOrEqual(200);
    expect(upstreamConnections).toBeGreaterThan(0);
  });
});
