import http from 'node:http';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually, listen, type Listening } from '../../support/listen';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream';

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

  it('serves many concurrent calls with no failure, one token and a bounded connection pool', async () => {
    await t.deps.tokens.invalidate(t.deps.tokens.peek()?.value ?? '');
    t.sim.simulator.resetStats();
    const connectionsBefore = t.deps.upstream.connectionsOpened;

    // Work, not time, is bounded: enough calls per browser connection (20) to show the pool is reused, few
    // enough for a loaded 2-core machine.
    const browserConnections = 30;
    const client = new http.Agent({ keepAlive: true, maxSockets: browserConnections });
    const total = 600;
    const statuses = await Promise.all(Array.from({ length: total }, () => get(`${app.url}${APPOINTMENTS}`, cookie, client)));
    client.destroy();
    const upstreamConnections = t.deps.upstream.connectionsOpened - connectionsBefore;

    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(t.sim.simulator.stats()).toMatchObject({ tokenRequests: 1, apiRequests: total });
    // At most one upstream connection per concurrent browser connection, reused for the rest.
    expect(upstreamConnections).toBeLessThanOrEqual(browserConnections);
    expect(upstreamConnections).toBeGreaterThan(0);
  }, 120_000);
});

/** A plain HTTP request over a given agent; resolves with the status and body. */
function call(url: string, method: string, headers: http.OutgoingHttpHeaders, agent: http.Agent, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the proxy when the upstream forgets idle keep-alive connections', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let app: Listening;
  let headers: http.OutgoingHttpHeaders;
  const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await buildTestApp({ adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: upstream.url } }) });
    app = await listen(t.app);
    const signedIn = await t.signIn();
    headers = { cookie: signedIn.cookie, 'x-csrf-token': signedIn.csrfToken, 'content-type': 'application/json' };
  });
  afterAll(async () => {
    client.destroy();
    await app.close();
    await t.close();
    await upstream.close();
  });
  beforeEach(() => {
    // Deterministic by count, not time: every connection is reset when its second request arrives, as a
    // load balancer does with a connection it dropped from its table while it sat idle (no FIN was sent).
    upstream.resetWhen((seen) => seen.onConnection === 2);
  });

  it('answers every GET: one that meets a dead reused connection is sent again on a fresh one', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await call(`${app.url}/api/fortellis/items/${i}`, 'GET', headers, client)).status);
    expect(statuses).toEqual(Array(20).fill(200));
    // The fault really was met, and each GET reached the upstream at most twice.
    const resets = upstream.requests.filter((r) => r.onConnection === 2).length;
    expect(resets).toBeGreaterThan(0);
    expect(upstream.requests.length).toBe(20 + resets);
  });

  it('sends an idempotent PUT again too, with its body', async () => {
    await call(`${app.url}/api/fortellis/items/warm-up`, 'GET', headers, client);
    const before = upstream.requests.length;
    const response = await call(`${app.url}/api/fortellis/items/7`, 'PUT', headers, client, '{"name":"seven"}');
    expect(response.status).toBe(200);
    const puts = upstream.requests.slice(before);
    expect(puts.map((r) => r.onConnection)).toEqual([2, 1]);
    expect(puts[1]!.body).toBe('{"name":"seven"}');
  });

  it('never sends a POST twice: it gets a 502 problem instead', async () => {
    await call(`${app.url}/api/fortellis/items/warm-up`, 'GET', headers, client);
    const before = upstream.requests.length;
    const response = await call(`${app.url}/api/fortellis/items/`, 'POST', headers, client, '{"name":"new"}');
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toMatchObject({ status: 502, title: 'Fortellis could not be reached' });
    expect(upstream.requests.slice(before).filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('closes idle upstream connections after PROXY_FREE_SOCKET_TIMEOUT_MS', async () => {
    const short = await buildTestApp({
      env: { PROXY_FREE_SOCKET_TIMEOUT_MS: '50' },
      adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: upstream.url } }),
    });
    try {
      upstream.resetWhen(undefined);
      const { agent } = await short.signIn();
      const before = upstream.closedConnections();
      const opened = upstream.connections();
      await agent.get('/api/fortellis/items/1').expect(200);
      expect(upstream.connections()).toBe(opened + 1);
      // The pool's own timer closes it (the upstream never does): wait for that, with a generous cap.
      await eventually(() => upstream.closedConnections() >= before + 1, 10_000);
    } finally {
      await short.close();
    }
  });

  /** A test app of its own on the fake upstream, with `env`; closed after `run`. */
  async function withApp(env: Record<string, string>, run: (app: TestApp) => Promise<void>): Promise<void> {
    const own = await buildTestApp({ env, adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: upstream.url } }) });
    try {
      upstream.resetWhen(undefined);
      await run(own);
    } finally {
      upstream.handle();
      await own.close();
    }
  }

  it('closes an idle connection sooner than PROXY_FREE_SOCKET_TIMEOUT_MS when the upstream says so (Keep-Alive: timeout)', async () => {
    // undici keeps a connection for the upstream's hint less a 2 s margin: 3 s → 1 s, against our 60 s.
    upstream.handle((_req, res) => {
      res.setHeader('keep-alive', 'timeout=3');
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await withApp({ PROXY_FREE_SOCKET_TIMEOUT_MS: '60000' }, async (own) => {
      const { agent } = await own.signIn();
      const before = upstream.closedConnections();
      await agent.get('/api/fortellis/items/1').expect(200);
      await eventually(() => upstream.closedConnections() >= before + 1, 10_000);
    });
  });

  it('answers 504 when the answer starts but its body stalls past PROXY_TIMEOUT_MS', async () => {
    upstream.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"items":['); // and nothing more
    });
    await withApp({ PROXY_TIMEOUT_MS: '300' }, async (own) => {
      const { agent } = await own.signIn();
      const response = await agent.get('/api/fortellis/items/1').expect(504);
      expect(response.body).toMatchObject({ status: 504, title: 'Fortellis did not answer in time' });
    });
  });
});
