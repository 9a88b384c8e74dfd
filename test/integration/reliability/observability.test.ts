import request from 'supertest';
import { buildTestApp, type TestApp } from '../../support/test-app';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';

describe('what operators can see', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('exposes request, upstream, token and sign-in figures at /metrics', async () => {
    const { agent } = await t.signIn();
    await agent.get(APPOINTMENTS).expect(200);
    await agent.get(APPOINTMENTS).expect(200);
    await agent.get('/api/fortellis/no/such-api').expect(404);
    const metrics = await request(t.app).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    const text = metrics.text;
    expect(text).toMatch(/http_requests_total\{route="\/api\/fortellis\/\*",method="GET",status="200"\} 2/);
    expect(text).toMatch(/http_requests_total\{route="\/api\/me",method="GET",status="200"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="[\d.]+",route="\/api\/fortellis\/\*"/);
    expect(text).toMatch(/http_requests_in_flight \d/);
    expect(text).toMatch(/fortellis_upstream_duration_seconds_count\{path_prefix="\/service\/v3",status="200"\} 2/);
    expect(text).toMatch(/fortellis_upstream_duration_seconds_count\{path_prefix="\/no\/such-api",status="404"\} 1/);
    expect(text).toMatch(/fortellis_token_events_total\{event="miss"\} 1/);
    expect(text).toMatch(/fortellis_token_events_total\{event="renewed"\} 1/);
    expect(text).toMatch(/fortellis_token_events_total\{event="hit"\} [2-9]/);
    expect(text).toMatch(/fortellis_token_age_seconds 0/);
    expect(text).toMatch(/fortellis_token_expires_in_seconds 3600/);
    expect(text).toMatch(/sign_ins_total\{result="success"\} 1/);
  });

  it('labels unmatched paths as such, so random URLs cannot grow the metrics', async () => {
    await request(t.app).get('/random-1').set('Accept', 'text/html');
    await request(t.app).get('/random-2').set('Accept', 'text/html');
    const text = (await request(t.app).get('/metrics')).text;
    expect(text).not.toContain('random-1');
    expect(text).toMatch(/route="unmatched",method="GET",status="404"/);
  });

  it('writes one log line per request with its Request-Id, user id (not name), status, duration and upstream status', async () => {
    const { agent } = await t.signIn();
    const response = await agent.get(`${APPOINTMENTS}?page=1`).expect(200);
    const line = t.logs.entries().find((e) => e.requestId === response.headers['request-id'] && e.msg === 'request')!;
    const user = await t.deps.users.findByUsername('demo');
    expect(line).toMatchObject({ method: 'GET', path: APPOINTMENTS, status: 200, upstreamStatus: 200, userId: user!.id, level: 'info' });
    expect(typeof line.durationMs).toBe('number');
    expect(JSON.stringify(line)).not.toContain('"demo"');
    expect(JSON.stringify(line)).not.toContain('page=1');
    expect(t.logs.entries().filter((e) => e.requestId === response.headers['request-id'])).toHaveLength(1);
  });

  it('logs a Fortellis fault once a minute with a count, not once per request', async () => {
    const { agent } = await t.signIn();
    t.sim.simulator.addFault({ target: 'api', drop: true });
    try {
      for (let i = 0; i < 5; i += 1) await agent.get(APPOINTMENTS).expect(502);
    } finally {
      t.sim.simulator.clearFaults();
    }
    const faultLines = () => t.logs.entries().filter((e) => e.code === 'fortellis-unreachable');
    expect(faultLines()).toHaveLength(1);
    // Every request keeps its own access-log line.
    expect(t.logs.entries().filter((e) => e.msg === 'request failed' && e.status === 502)).toHaveLength(5);
    t.clock.advanceSeconds(60);
    // Two drops: the GET's, and its one resend on a fresh connection (a dropped connection may be a stale one).
    t.sim.simulator.addFault({ target: 'api', drop: true, count: 2 });
    await agent.get(APPOINTMENTS).expect(502);
    expect(faultLines()).toHaveLength(2);
    expect(faultLines()[1]).toMatchObject({ similarSinceLastLine: 4 });
  });

  it('answers /readyz with each dependency’s state', async () => {
    await request(t.app).get('/readyz').expect(200, { status: 'ok', checks: { database: 'ok' } });
  });
});

describe('/readyz when the database is gone', () => {
  it('answers 503 and names the failed dependency, while /healthz stays 200', async () => {
    const t = await buildTestApp();
    await t.deps.database.close();
    const response = await request(t.app).get('/readyz').expect(503);
    expect(response.body).toEqual({ status: 'unavailable', checks: { database: 'unavailable' } });
    await request(t.app).get('/healthz').expect(200);
    await t.sim.close();
  });
});

describe('signed-in calls when the session store is gone', () => {
  it('answer 503 problem JSON with Retry-After (not a 500, not a crash), and count the store error', async () => {
    const t = await buildTestApp();
    const { agent } = await t.signIn();
    await t.deps.database.close();
    const response = await agent.get(APPOINTMENTS).expect(503);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body).toMatchObject({ status: 503, title: 'Temporarily unavailable', store: 'session store' });
    expect((await request(t.app).get('/metrics')).text).toMatch(/store_errors_total\{store="session store"\} 1/);
    await t.sim.close();
  });
});

describe('/metrics with a bearer token', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { METRICS_BEARER_TOKEN: 'scrape-token-0123456789' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses scrapers without the token', async () => {
    await request(t.app).get('/metrics').expect(401);
    await request(t.app).get('/metrics').set('Authorization', 'Bearer wrong-token-000000000').expect(401);
    await request(t.app).get('/metrics').set('Authorization', 'Bearer scrape-token-0123456789').expect(200);
  });
});
