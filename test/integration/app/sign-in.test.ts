import request from 'supertest';
import { UserAdministration } from '../../../src/auth/user-admin';
import { buildTestApp, extractFormCsrf, sessionCookie, type TestApp } from '../../support/test-app';

describe('signing in to the app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const admin = () => new UserAdministration(t.deps.users, t.deps.passwords, t.deps.sessionStore);

  async function loginForm() {
    const agent = request.agent(t.app);
    const page = await agent.get('/login').expect(200);
    return { agent, csrf: extractFormCsrf(page.text), page };
  }

  it('shows a sign-in form with a CSRF token and the demo account in simulator mode', async () => {
    const { page } = await loginForm();
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('name="username"');
    expect(page.text).toContain('demo-password');
  });

  it('signs the demo user in and sends them to the dashboard', async () => {
    const { agent, csrf } = await loginForm();
    const response = await agent.post('/login').type('form').send({ username: 'demo', password: 'demo-password', _csrf: csrf }).expect(303);
    expect(response.headers.location).toBe('/dashboard');
    const cookie = response.headers['set-cookie'] as unknown as string[];
    const session = cookie.find((c) => c.startsWith('fbff.sid='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).not.toMatch(/Expires|Max-Age/);
    const dashboard = await agent.get('/dashboard').expect(200);
    expect(dashboard.text).toContain('demo');
    expect(dashboard.text).toContain('Test Dealer');
  });

  it('refuses a wrong password with the same answer as an unknown user', async () => {
    const wrong = await loginForm();
    const wrongResponse = await wrong.agent.post('/login').type('form').send({ username: 'demo', password: 'nope-nope', _csrf: wrong.csrf }).expect(401);
    const unknown = await loginForm();
    const unknownResponse = await unknown.agent.post('/login').type('form').send({ username: 'nobody', password: 'nope-nope', _csrf: unknown.csrf }).expect(401);
    expect(wrongResponse.text).toContain('Wrong username or password.');
    const strip = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/<code>[0-9a-f-]{36}<\/code>/g, '');
    expect(strip(wrongResponse.text)).toBe(strip(unknownResponse.text));
    expect(wrongResponse.headers['set-cookie']?.toString() ?? '').not.toContain('fbff.sid=');
  });

  it('refuses a sign-in without the form’s CSRF token (login CSRF)', async () => {
    const { agent } = await loginForm();
    const response = await agent.post('/login').type('form').send({ username: 'demo', password: 'demo-password' }).expect(403);
    expect(response.text).toContain('The sign-in form expired');
  });

  it('refuses a CSRF token that belongs to another browser', async () => {
    const theirs = await loginForm();
    const mine = await loginForm();
    await mine.agent.post('/login').type('form').send({ username: 'demo', password: 'demo-password', _csrf: theirs.csrf }).expect(403);
  });

  it.each([
    ['an array as username', 'username=demo&username=demo&password=demo-password'],
    ['an object as username', 'username[a]=demo&password=demo-password'],
    ['a 10 kB username', `username=${'a'.repeat(10_000)}&password=demo-password`],
    ['a missing password', 'username=demo'],
    ['a NUL byte', 'username=de%00mo&password=demo-password'],
    ['a right-to-left override', 'username=%E2%80%AEdemo&password=demo-password'],
    ['invalid UTF-8 (a lone surrogate)', 'username=%ED%A0%80demo&password=demo-password'],
    ['an emoji-only password', 'username=demo&password=%F0%9F%94%91%F0%9F%94%91'],
  ])('answers %s with a failed sign-in, never a 500', async (_label, body) => {
    const { agent, csrf } = await loginForm();
    const response = await agent.post('/login').type('form').send(`${body}&_csrf=${encodeURIComponent(csrf)}`);
    expect([400, 401, 413]).toContain(response.status);
    expect(response.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('gives a new session id at sign-in, so a planted session id is useless (session fixation)', async () => {
    const first = await t.signIn();
    const form = await first.agent.get('/login');
    // Signed in already: the form redirects. Sign in again from the same browser via a fresh form.
    expect(form.status).toBe(303);
    const again = await loginForm();
    const response = await again.agent
      .post('/login')
      .set('Cookie', [first.cookie, ...(again.page.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]!)].join('; '))
      .type('form')
      .send({ username: 'demo', password: 'demo-password', _csrf: again.csrf })
      .expect(303);
    const newCookie = sessionCookie(response.headers['set-cookie'], 'fbff.sid');
    expect(newCookie).not.toBe(first.cookie);
    await request(t.app).get('/api/me').set('Cookie', first.cookie).expect(401);
    await request(t.app).get('/api/me').set('Cookie', newCookie).expect(200);
  });

  it('signs out: the session is destroyed on the server, so the old cookie no longer works', async () => {
    const { agent, csrfToken, cookie } = await t.signIn();
    const response = await agent.post('/logout').type('form').send({ _csrf: csrfToken }).expect(303);
    expect(response.headers.location).toBe('/login');
    await request(t.app).get('/api/me').set('Cookie', cookie).expect(401);
  });

  it('refuses a sign-out without the session’s CSRF token', async () => {
    const { agent } = await t.signIn();
    await agent.post('/logout').type('form').send({}).expect(403);
    await agent.get('/api/me').expect(200);
  });

  it('ends the session after the idle timeout', async () => {
    const { agent } = await t.signIn();
    t.clock.advance(t.config.session.idleTimeoutMs + 1);
    await agent.get('/api/me').expect(401);
  });

  it('ends even an active session after the absolute lifetime', async () => {
    const { agent } = await t.signIn();
    const step = t.config.session.idleTimeoutMs / 2;
    for (let elapsed = 0; elapsed < t.config.session.absoluteTimeoutMs - step; elapsed += step) {
      t.clock.advance(step);
      await agent.get('/api/me').expect(200);
    }
    t.clock.advance(step);
    await agent.get('/api/me').expect(401);
  });

  it('ends the sessions of a removed user at their next request', async () => {
    await t.addUser('temp-user', 'temp-password', 'test');
    const { agent } = await t.signIn('temp-user', 'temp-password');
    expect(await admin().remove('temp-user')).toBe(true);
    await agent.get('/api/me').expect(401);
  });

  it('ends the sessions of a deactivated user, and refuses their sign-in', async () => {
    await t.addUser('leaver', 'leaver-password', 'test');
    const { agent } = await t.signIn('leaver', 'leaver-password');
    expect(await admin().setActive('leaver', false)).toBe(true);
    await agent.get('/api/me').expect(401);
    await expect(t.signIn('leaver', 'leaver-password')).rejects.toThrow(/failed with 401/);
  });

  it('signs a user out when their Subscription-Id changes, so no session keeps the old one', async () => {
    await t.addUser('mover', 'mover-password', 'test');
    const { agent } = await t.signIn('mover', 'mover-password');
    await admin().setSubscription('mover', 'another-subscription');
    await agent.get('/api/me').expect(401);
    const again = await t.signIn('mover', 'mover-password');
    expect((await again.agent.get('/api/me')).body.subscriptionId).toBe('another-subscription');
  });
});

describe('pages and /api/me', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends visitors who are not signed in to the sign-in page', async () => {
    expect((await request(t.app).get('/').expect(303)).headers.location).toBe('/login');
    expect((await request(t.app).get('/dashboard').expect(303)).headers.location).toBe('/login?reason=sign-in-first&returnTo=%2Fdashboard');
  });

  it('sends signed-in users from / to the dashboard', async () => {
    const { agent } = await t.signIn();
    expect((await agent.get('/').expect(303)).headers.location).toBe('/dashboard');
  });

  it('answers /api/me with who is signed in, the Subscription-Id, the CSRF token and when the session ends', async () => {
    const { agent } = await t.signIn();
    const me = await agent.get('/api/me').expect(200);
    expect(me.body).toEqual({
      username: 'demo',
      role: 'user',
      subscriptionId: 'test',
      subscriptions: [{ subscriptionId: 'test', orgName: null }],
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
      sessionExpiresAt: new Date(t.clock.now() + t.config.session.idleTimeoutMs).toISOString(),
      lastProxiedRequestId: null,
    });
    const call = await agent.get('/api/fortellis/crm/cdk-crm/v1/leads/ping').expect(200);
    expect((await agent.get('/api/me')).body.lastProxiedRequestId).toBe(call.headers['request-id']);
    expect(me.headers['cache-control']).toBe('no-store');
  });

  it('answers 401 problem JSON on /api/* when not signed in', async () => {
    const response = await request(t.app).get('/api/me').expect(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, title: 'Not signed in', type: expect.stringContaining('not-signed-in'), requestId: response.headers['request-id'] });
  });

  it('answers unknown routes with a 404 page, or problem JSON under /api', async () => {
    const page = await request(t.app).get('/no-such-page').set('Accept', 'text/html').expect(404);
    expect(page.text).toContain('Not found');
    const { agent } = await t.signIn();
    const api = await agent.get('/api/no-such-thing').expect(404);
    expect(api.headers['content-type']).toMatch(/problem\+json/);
  });

  it('serves static assets and a 404 for missing ones', async () => {
    await request(t.app).get('/public/css/app.css').expect(200).expect('Content-Type', /css/);
    await request(t.app).get('/public/nope.js').expect(404);
  });

  it('answers /healthz', async () => {
    await request(t.app).get('/healthz').expect(200, { status: 'ok' });
  });

  it('sends security headers: strict CSP, no referrer, no X-Powered-By', async () => {
    const response = await request(t.app).get('/login');
    const csp = response.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});
