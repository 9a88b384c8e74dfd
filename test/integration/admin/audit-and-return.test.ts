import request from 'supertest';
import { readAuditFilters } from '../../../src/web/admin/routes';
import { buildTestApp, extractFormCsrf, type SignedIn, type TestApp } from '../../support/test-app';

/** One sign-in attempt from a fresh browser, optionally with a return target: the answer. */
async function signInWith(t: TestApp, form: Record<string, string>, loginQuery = '') {
  const agent = request.agent(t.app);
  const page = await agent.get(`/login${loginQuery}`).expect(200);
  return { page, answer: await agent.post('/login').type('form').send({ _csrf: extractFormCsrf(page.text), ...form }), agent };
}

describe('the audit log records sign-ins, and filters and pages what it shows', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await buildTestApp();
    admin = await t.signIn('admin', 'admin-password');
  });
  afterAll(() => t.close());

  it('records a successful sign-in, a failed one (the typed name, never the password) and the failure that locks', async () => {
    await t.addUser('henry', 'henry-password', 'test');
    t.clock.advanceSeconds(1);
    expect((await signInWith(t, { username: 'henry', password: 'henry-password' })).answer.status).toBe(303);
    const limit = t.config.signInLimits.maxFailuresPerUsername;
    for (let i = 0; i < limit; i += 1) expect((await signInWith(t, { username: 'Henry', password: `secret-guess-${i}` })).answer.status).toBe(401);
    // Refused while locked: the lock is on record once, not once per refused try.
    expect((await signInWith(t, { username: 'henry', password: 'henry-password' })).answer.status).toBe(429);

    const entries = (await t.deps.audit.latest(50)).filter((e) => e.target === 'henry');
    expect(entries.filter((e) => e.action === 'auth.sign-in.succeeded')).toEqual([expect.objectContaining({ actorUsername: 'henry', actorId: expect.any(String) })]);
    expect(entries.filter((e) => e.action === 'auth.sign-in.failed')).toHaveLength(limit);
    expect(entries.filter((e) => e.action === 'auth.sign-in.failed').every((e) => e.actorId === null && e.actorUsername === 'henry')).toBe(true);
    const locked = entries.filter((e) => e.action === 'auth.sign-in.locked');
    expect(locked).toHaveLength(1);
    expect(locked[0]!.detail!.lockedForSeconds).toBeGreaterThan(0);
    expect(JSON.stringify(entries)).not.toMatch(/secret-guess|henry-password/);
  });

  it('keeps only the first 64 characters of a typed username', async () => {
    const long = `${'x'.repeat(100)}-tail`;
    await signInWith(t, { username: long, password: 'wrong-password' });
    const entry = (await t.deps.audit.query({ action: 'auth.sign-in.failed', pageSize: 1 })).entries[0]!;
    expect(entry.target).toBe('x'.repeat(64));
  });

  it('filters by action, user and day on /admin/audit', async () => {
    const byAction = await admin.agent.get('/admin/audit?action=auth.sign-in.locked').expect(200);
    expect(byAction.text).toContain('<code>auth.sign-in.locked</code>');
    expect(byAction.text).not.toContain('<code>auth.sign-in.failed</code>');
    expect(byAction.text).toContain('<option value="auth.sign-in.locked" selected>');

    const byUser = await admin.agent.get('/admin/audit?user=HENRY').expect(200);
    expect(byUser.text).toContain('<code>auth.sign-in.succeeded</code>');
    expect(byUser.text).not.toContain('<td data-label="Who">admin</td>');

    const today = new Date(t.clock.now()).toISOString().slice(0, 10);
    const tomorrow = new Date(t.clock.now() + 86_400_000).toISOString().slice(0, 10);
    expect((await admin.agent.get(`/admin/audit?from=${today}&to=${today}&user=henry`)).text).toContain('auth.sign-in.succeeded');
    const later = await admin.agent.get(`/admin/audit?from=${tomorrow}&user=henry`).expect(200);
    expect(later.text).toContain('Nothing matches these filters.');
  });

  it('says what is wrong with a filter instead of failing', async () => {
    const page = await admin.agent.get('/admin/audit?action=drop-table&from=yesterday&to=2026-13-45').expect(200);
    expect(page.text).toContain('That action is not one the log records');
    expect(page.text).toContain('The “from” date must be a day written as YYYY-MM-DD.');
    expect(page.text).toContain('The “to” date must be a day written as YYYY-MM-DD.');
    expect(readAuditFilters({ page: '-3', user: ['a', 'b'] })).toMatchObject({ pageIndex: 0, form: {}, problems: [] });
  });

  it('pages through the log, 50 entries a page, newest first, keeping the filters', async () => {
    for (let i = 0; i < 60; i += 1) {
      t.clock.advanceSeconds(1);
      await t.deps.audit.record({ id: null, username: 'cli:pager' }, 'user.activate', `paged-${String(i).padStart(2, '0')}`);
    }
    const first = await admin.agent.get('/admin/audit?user=cli%3Apager&action=user.activate').expect(200);
    expect(first.text).toContain('paged-59');
    expect(first.text).not.toContain('paged-09');
    expect(first.text).toContain('href="/admin/audit?action=user.activate&amp;user=cli%3Apager&amp;page=2" rel="next"');
    expect(first.text).not.toContain('rel="prev"');
    const second = await admin.agent.get('/admin/audit?action=user.activate&user=cli%3Apager&page=2').expect(200);
    expect(second.text).toContain('paged-09');
    expect(second.text).toContain('paged-00');
    expect(second.text).not.toContain('paged-10');
    expect(second.text).toContain('rel="prev"');
    expect(second.text).not.toContain('rel="next"');
  });

  it('orders entries of the same millisecond as they were recorded', async () => {
    for (const name of ['same-1', 'same-2', 'same-3']) await t.deps.audit.record({ id: null, username: 'cli:order' }, 'user.activate', name);
    const { entries } = await t.deps.audit.query({ user: 'cli:order' });
    expect(entries.map((e) => e.target)).toEqual(['same-3', 'same-2', 'same-1']);
  });
});

describe('signing in again returns to the page, and only to a page of this site', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('sends a visitor to the sign-in page with the reason and the way back, and back there after sign-in', async () => {
    const away = await request(t.app).get('/admin/audit?action=user.create').expect(303);
    expect(away.headers.location).toBe('/login?reason=sign-in-first&returnTo=%2Fadmin%2Faudit%3Faction%3Duser.create');
    const { page, answer } = await signInWith(t, { username: 'admin', password: 'admin-password', returnTo: '/admin/audit?action=user.create' }, away.headers.location.slice('/login'.length));
    expect(page.text).toContain('Sign in to see that page.');
    expect(page.text).toContain('<input type="hidden" name="returnTo" value="/admin/audit?action=user.create">');
    expect(answer.headers.location).toBe('/admin/audit?action=user.create');
  });

  it('says the session ended when a form is posted after it did (the store switch), and returns to the dashboard', async () => {
    const user = await t.signIn();
    await user.agent.post('/logout').type('form').send({ _csrf: user.csrfToken }).expect(303);
    const switched = await user.agent.post('/dashboard/store').type('form').send({ _csrf: user.csrfToken, subscriptionId: 'test' }).expect(303);
    expect(switched.headers.location).toBe('/login?reason=session-ended&returnTo=%2Fdashboard');
    const page = await user.agent.get(switched.headers.location).expect(200);
    expect(page.text).toContain('Your session ended (you were signed out, or it timed out).');
  });

  it.each([
    ['//evil.com', '/dashboard'],
    ['https://evil.com', '/dashboard'],
    ['/\\evil.com', '/dashboard'],
    ['/\t/evil.com', '/dashboard'],
    ['http:/evil.com', '/dashboard'],
    ['/logout', '/dashboard'],
    ['/compare#points', '/compare#points'],
  ])('returnTo %j lands on %s', async (returnTo, landing) => {
    const { page, answer } = await signInWith(t, { username: 'demo', password: 'demo-password', returnTo }, `?returnTo=${encodeURIComponent(returnTo)}`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe(landing);
    if (landing === '/dashboard') expect(page.text).not.toContain('name="returnTo"');
  });

  it('keeps the return target across a failed attempt', async () => {
    const agent = request.agent(t.app);
    const page = await agent.get('/login?returnTo=%2Fcompare').expect(200);
    const failed = await agent.post('/login').type('form').send({ _csrf: extractFormCsrf(page.text), username: 'demo', password: 'wrong', returnTo: '/compare' }).expect(401);
    expect(failed.text).toContain('<input type="hidden" name="returnTo" value="/compare">');
  });
});
