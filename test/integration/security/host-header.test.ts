import request from 'supertest';
import { loadConfig } from '../../../src/config/load';
import { buildTestApp, extractFormCsrf, type TestApp } from '../../support/test-app';

/** Real Fortellis credentials (pointed at the simulator by the test app): no simulator mode. */
const outsideSimulatorMode = {
  FORTELLIS_API_KEY: 'real-key',
  FORTELLIS_API_SECRET: 'real-secret',
  SESSION_SECRET: 'a-session-secret-that-is-long-enough-0123456789',
};

describe('the Host header (DNS rebinding)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { ...outsideSimulatorMode, PUBLIC_URL: 'https://bff.example.com', ALLOWED_HOSTS: 'bff-internal.example.net' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a sign-in sent with a foreign Host, as a rebound attacker page would send it', async () => {
    const agent = request.agent(t.app);
    const form = await agent.get('/login').set('Host', 'bff.example.com').expect(200);
    const refused = await agent
      .post('/login')
      .set('Host', 'attacker.example')
      .set('Accept', 'application/json')
      .type('form')
      .send({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) });
    expect(refused.status).toBe(421);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 421, title: 'Unknown host' });
    expect(refused.headers['set-cookie']?.toString() ?? '').not.toContain('fbff.sid=');
  });

  it('answers a browser with a readable page, and the API with problem JSON', async () => {
    const page = await request(t.app).get('/login').set('Host', 'attacker.example:443').set('Accept', 'text/html');
    expect(page.status).toBe(421);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('does not answer for the host name');
    const api = await request(t.app).get('/api/me').set('Host', 'attacker.example');
    expect(api.status).toBe(421);
    expect(api.body.type).toBe('urn:fortellis-bff:problem:unknown-host');
  });

  it('serves PUBLIC_URL’s name (any case, any port) and the ALLOWED_HOSTS names', async () => {
    await request(t.app).get('/login').set('Host', 'BFF.example.com:8443').expect(200);
    await request(t.app).get('/login').set('Host', 'bff-internal.example.net').expect(200);
  });

  it('refuses loopback names outside simulator and development mode', async () => {
    await request(t.app).get('/login').set('Host', '127.0.0.1:3000').expect(421);
    await request(t.app).get('/login').set('Host', 'localhost').expect(421);
  });

  it('still answers the probes, which load balancers and kubelets send to an IP address', async () => {
    await request(t.app).get('/healthz').set('Host', '10.0.0.7:3000').expect(200);
    await request(t.app).get('/readyz').set('Host', '10.0.0.7:3000').expect(200);
  });
});

describe('the Host check behind a reverse proxy (TRUST_PROXY)', () => {
  /** A page and a proxied call (signed out: 401 once past the Host check) with these headers. */
  async function statuses(t: TestApp, headers: Record<string, string>): Promise<[number, number]> {
    const page = await request(t.app).get('/login').set(headers);
    const api = await request(t.app).get('/api/fortellis/service/v3/appointments/').set(headers);
    return [page.status, api.status];
  }
  const env = { ...outsideSimulatorMode, PUBLIC_URL: 'https://bff.example.com' };

  it('reads the name from X-Forwarded-Host when the proxy is trusted, for pages and the API alike', async () => {
    const t = await buildTestApp({ env: { ...env, TRUST_PROXY: 'loopback' } });
    try {
      expect(await statuses(t, { Host: '10.0.0.7:3000', 'X-Forwarded-Host': 'bff.example.com' })).toEqual([200, 401]);
      expect(await statuses(t, { Host: 'bff.example.com', 'X-Forwarded-Host': 'attacker.example' })).toEqual([421, 421]);
    } finally {
      await t.close();
    }
  });

  it('ignores X-Forwarded-Host from a peer it does not trust, for pages and the API alike', async () => {
    const t = await buildTestApp({ env: { ...env, TRUST_PROXY: 'false' } });
    try {
      expect(await statuses(t, { Host: 'attacker.example', 'X-Forwarded-Host': 'bff.example.com' })).toEqual([421, 421]);
      expect(await statuses(t, { Host: 'bff.example.com', 'X-Forwarded-Host': 'attacker.example' })).toEqual([200, 401]);
    } finally {
      await t.close();
    }
  });
});

describe('allowed host names by mode', () => {
  it('adds loopback names in simulator mode, so the quick start on localhost works', () => {
    expect(loadConfig({ PUBLIC_URL: 'http://localhost:3000' }).allowedHosts).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '[::1]']));
  });

  it('allows only PUBLIC_URL’s name and ALLOWED_HOSTS in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://bff.example.com', ALLOWED_HOSTS: 'a.example, B.example', ...outsideSimulatorMode });
    expect(config.allowedHosts).toEqual(['bff.example.com', 'a.example', 'b.example']);
  });

  it('reports an ALLOWED_HOSTS entry with a scheme or port clearly', () => {
    expect(() => loadConfig({ ALLOWED_HOSTS: 'https://a.example,b.example:80' })).toThrow(/ALLOWED_HOSTS must be a comma list of host names without scheme or port/);
  });
});
