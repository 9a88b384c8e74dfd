import http from 'node:http';
import { basicAuthorizationHeader, SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET } from '../../../src/simulator';
import { startHarness, type SimulatorHarness } from './simulator-harness';

const APPOINTMENTS = '/service/v3/appointments/';
const TOKEN_PATH = '/oauth2/aus-simulator/v1/token';

/** Sends a raw GET and reports how it ended: an answer's status, or the socket error. */
function rawGet(url: string, headers: Record<string, string>, timeoutMs?: number): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('timeout'), { code: 'CLIENT_TIMEOUT' })));
  });
}

describe('the simulator controls: stats', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());

  it('counts token and API requests and keeps every header, the method, path and body of the last API call', async () => {
    await h.http().post('/__simulator/stats/reset').expect(204);
    const token = await h.token();
    await h
      .api()
      .post(APPOINTMENTS)
      .query({ source: 'test' })
      .set(h.apiHeaders(token))
      .set('Request-Id', 'abc-123')
      .set('X-Custom', 'kept')
      .send({ dateTime: '2026-01-21T10:00:00-06:00', requestedServices: [{ description: 'Oil change' }] });
    const stats = await h.http().get('/__simulator/stats');
    expect(stats.body).toMatchObject({ tokenRequests: 1, tokensIssued: 1, apiRequests: 1 });
    expect(stats.body.lastApiRequest).toMatchObject({
      method: 'POST',
      // As the simulator received it: below the API host's base path.
      path: `/apis${APPOINTMENTS}`,
      url: `/apis${APPOINTMENTS}?source=test`,
      query: { source: 'test' },
      body: { dateTime: '2026-01-21T10:00:00-06:00', requestedServices: [{ description: 'Oil change' }] },
      headers: {
        authorization: `Bearer ${token}`,
        'subscription-id': 'test',
        'request-id': 'abc-123',
        accept: 'application/json',
        'x-custom': 'kept',
        'content-type': 'application/json',
      },
    });
  });

  it('resets the counts and forgets the last request', async () => {
    await h.http().get('/v1/solution/subscriptions');
    h.running.simulator.resetStats();
    expect(h.running.simulator.stats()).toMatchObject({ tokenRequests: 0, apiRequests: 0, lastApiRequest: null });
  });
});

describe('the simulator controls: faults', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());
  afterEach(() => h.running.simulator.clearFaults());

  it('makes an API answer a Fortellis error for as many requests as its count, then answer normally', async () => {
    const created = await h.http().post('/__simulator/faults').send({ target: 'api', code: 'QUOTA-EXCEEDED', count: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(String), target: 'api', code: 'QUOTA-EXCEEDED', count: 1, remaining: 1 });

    const failed = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token)).set('Request-Id', 'r-1');
    expect(failed.status).toBe(429);
    expect(failed.body).toEqual({ code: 429, message: expect.stringMatching(/^QUOTA-EXCEEDED: /) });
    expect(failed.headers['request-id']).toBe('r-1');
    expect((await h.api().get(APPOINTMENTS).set(h.apiHeaders(token))).status).toBe(200);
  });

  it('derives the Fortellis code from a status alone (504 TARGET-SYSTEM-TIMED-OUT)', async () => {
    h.running.simulator.addFault({ target: 'api', status: 504 });
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token));
    expect(response.status).toBe(504);
    expect(response.body.message).toMatch(/^TARGET-SYSTEM-TIMED-OUT: /);
  });

  it('applies a fault only under its pathPrefix', async () => {
    h.running.simulator.addFault({ target: 'api', status: 502, pathPrefix: '/crm/' });
    expect((await h.api().get(APPOINTMENTS).set(h.apiHeaders(token))).status).toBe(200);
    expect((await h.api().get('/crm/cdk-crm/v1/leads/ping').set(h.apiHeaders(token))).status).toBe(502);
  });

  it('makes the token endpoint fail in the Okta way (503 temporarily_unavailable)', async () => {
    h.running.simulator.addFault({ target: 'token', status: 503, count: 1 });
    const basic = basicAuthorizationHeader(SIMULATOR_DEFAULT_CLIENT_ID, SIMULATOR_DEFAULT_CLIENT_SECRET);
    const form = { grant_type: 'client_credentials', scope: 'anonymous' };
    const failed = await h.http().post(TOKEN_PATH).set('Authorization', basic).type('form').send(form);
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    expect((await h.http().post(TOKEN_PATH).set('Authorization', basic).type('form').send(form)).status).toBe(200);
  });

  it('answers a rate-limited token request (429 without a code) in Okta errorCode shape', async () => {
    h.running.simulator.addFault({ target: 'token', status: 429, count: 1 });
    const response = await h.http().post(TOKEN_PATH).type('form').send({ grant_type: 'client_credentials', scope: 'anonymous' });
    expect(response.status).toBe(429);
    expect(response.body).toMatchObject({ errorCode: 'E0000047', errorSummary: expect.any(String) });
    expect(response.headers['x-rate-limit-remaining']).toBe('0');
  });

  it('delays matching requests by delayMs and then answers normally', async () => {
    h.running.simulator.addFault({ target: 'api', delayMs: 60, count: 1 });
    const started = Date.now();
    const response = await h.api().get(APPOINTMENTS).set(h.apiHeaders(token));
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('cancels a delay when the client gives up, leaving no timer behind', async () => {
    h.running.simulator.addFault({ target: 'api', delayMs: 60_000, count: 1 });
    const outcome = await rawGet(`${h.running.apiBaseUrl}${APPOINTMENTS}`, h.apiHeaders(token), 50);
    expect(outcome.error).toBe('CLIENT_TIMEOUT');
    await waitUntil(() => h.running.simulator.stats().pendingFaultDelays === 0);
    expect(h.running.simulator.stats().pendingFaultDelays).toBe(0);
  });

  it('drops the connection without an answer for "drop": true and for status 0', async () => {
    await h.http().post('/__simulator/faults').send({ target: 'api', drop: true, count: 1 }).expect(201);
    await h.http().post('/__simulator/faults').send({ target: 'api', status: 0, count: 1 }).expect(201);
    for (let i = 0; i < 2; i += 1) {
      const outcome = await rawGet(`${h.running.apiBaseUrl}${APPOINTMENTS}`, h.apiHeaders(token));
      expect(outcome.status).toBeUndefined();
      expect(outcome.error).toBe('ECONNRESET');
    }
  });

  it('lists faults and clears them all with DELETE', async () => {
    await h.http().post('/__simulator/faults').send({ target: 'api', status: 500 }).expect(201);
    expect((await h.http().get('/__simulator/faults')).body.faults).toHaveLength(1);
    await h.http().delete('/__simulator/faults').expect(204);
    expect((await h.http().get('/__simulator/faults')).body.faults).toEqual([]);
    expect((await h.api().get(APPOINTMENTS).set(h.apiHeaders(token))).status).toBe(200);
  });

  it.each([
    ['an unknown target', { target: 'database', status: 500 }, /target/],
    ['a status out of range', { target: 'api', status: 700 }, /status/],
    ['an unknown Fortellis code', { target: 'api', code: 'NOT-A-CODE' }, /code/],
    ['a negative delay', { target: 'api', delayMs: -1 }, /delayMs/],
    ['a count of zero', { target: 'api', status: 500, count: 0 }, /count/],
    ['a fault that does nothing', { target: 'api' }, /at least one of/],
    ['an unknown field', { target: 'api', status: 500, colour: 'red' }, /colour/],
  ])('refuses %s with 400 and a clear message', async (_name, body, message) => {
    const response = await h.http().post('/__simulator/faults').send(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_fault', message: expect.stringMatching(message) });
  });

  it('refuses a fault body that is not JSON with 400', async () => {
    const response = await h.http().post('/__simulator/faults').type('json').send('{target');
    expect(response.status).toBe(400);
  });
});

describe('the simulator controls: expire-tokens', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());

  it('makes every token issued so far answer TOKEN-EXPIRED, while tokens issued afterwards work', async () => {
    const before = await h.token();
    expect((await h.api().get(APPOINTMENTS).set(h.apiHeaders(before))).status).toBe(200);

    const expired = await h.http().post('/__simulator/expire-tokens');
    expect(expired.status).toBe(200);
    expect(expired.body).toEqual({ expiredBefore: new Date(h.clock.now()).toISOString(), tokensExpired: 1 });

    const refused = await h.api().get(APPOINTMENTS).set(h.apiHeaders(before));
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/^TOKEN-EXPIRED: /);

    // Same clock millisecond: only the token's identity tells old from new.
    const after = await h.token();
    expect((await h.api().get(APPOINTMENTS).set(h.apiHeaders(after))).status).toBe(200);
    expect(h.running.simulator.stats().tokensExpiredBefore).toBe(expired.body.expiredBefore);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the simulator controls: cross-site requests (issue 12.7)', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());
  afterEach(() => h.running.simulator.clearFaults());

  const fault = { target: 'api', status: 503 } as const;

  it.each([
    ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site (the app on another localhost port)', { 'Sec-Fetch-Site': 'same-site' }],
    ['an Origin of another site', { Origin: 'http://evil.example' }],
    ['Origin: null (a sandboxed frame or a data: page)', { Origin: 'null' }],
    ['a foreign Origin even with a same-origin Referer', { Origin: 'http://localhost:3000', Referer: 'http://127.0.0.1/' }],
  ])('refuses a fault posted with %s, and adds no fault', async (_label, headers) => {
    const response = await h.http().post('/__simulator/faults').set(headers).send(fault);
    expect(response.status).toBe(403);
    expect(response.body.error).toBe('cross_site_request');
    expect(h.running.simulator.faults()).toEqual([]);
  });

  it('refuses every other change from another site: expire-tokens, stats reset, clearing faults', async () => {
    h.running.simulator.addFault(fault);
    const crossSite = { 'Sec-Fetch-Site': 'cross-site' };
    expect((await h.http().post('/__simulator/expire-tokens').set(crossSite)).status).toBe(403);
    expect((await h.http().post('/__simulator/stats/reset').set(crossSite)).status).toBe(403);
    expect((await h.http().delete('/__simulator/faults').set(crossSite)).status).toBe(403);
    expect(h.running.simulator.stats().tokensExpiredBefore).toBeNull();
    expect(h.running.simulator.faults()).toHaveLength(1);
  });

  it('accepts changes from the simulator’s own origin, from Sec-Fetch-Site same-origin or none, and from clients that send neither', async () => {
    const ownOrigin = new URL(h.running.url).origin;
    expect((await h.http().post('/__simulator/faults').set('Origin', ownOrigin).send(fault)).status).toBe(201);
    expect((await h.http().post('/__simulator/faults').set('Sec-Fetch-Site', 'same-origin').send(fault)).status).toBe(201);
    expect((await h.http().post('/__simulator/faults').set('Sec-Fetch-Site', 'none').send(fault)).status).toBe(201);
    expect((await h.http().post('/__simulator/faults').send(fault)).status).toBe(201);
  });

  it('answers reads without the check but with no CORS header, so another site’s script cannot read them', async () => {
    const response = await h.http().get('/__simulator/stats').set('Origin', 'http://evil.example').expect(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
