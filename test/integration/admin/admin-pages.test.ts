import request from 'supertest';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { buildTestApp, extractFormCsrf, type SignedIn, type TestApp } from '../../support/test-app';

const { sunrise, lakeside, harbor } = SIMULATOR_SUBSCRIPTIONS;

describe('admin pages', () => {
  let t: TestApp;
  let admin: SignedIn;
  beforeAll(async () => {
    t = await buildTestApp();
    admin = await t.signIn('admin', 'admin-password');
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (path: string, form: Record<string, string>, who: SignedIn = admin) =>
    who.agent.post(path).type('form').send({ _csrf: who.csrfToken, ...form });

  describe('permissions', () => {
    const pages = ['/admin', '/admin/users', '/admin/subscriptions', '/admin/audit'];
    const changes = [
      '/admin/users',
      '/admin/users/demo/password',
      '/admin/users/demo/deactivate',
      '/admin/users/demo/activate',
      '/admin/users/demo/subscriptions',
      '/admin/users/demo/subscriptions/test/unlink',
      '/admin/users/demo/unlock',
      '/admin/subscriptions/refresh',
    ];

    it.each(pages)('refuses GET %s to a plain user with 403', async (path) => {
      const user = await t.signIn();
      const response = await user.agent.get(path).expect(403);
      expect(response.text).toContain('Administrators only');
    });

    it.each(changes)('refuses POST %s to a plain user with 403, changing nothing', async (path) => {
      const user = await t.signIn();
      await post(path, { username: 'sneaky', password: 'sneaky-password', role: 'admin', subscriptionId: sunrise }, user).expect(403);
      expect(await t.deps.users.findByUsername('sneaky')).toBeUndefined();
      expect((await t.deps.users.findByUsername('demo'))!.active).toBe(true);
    });

    it('sends visitors who are not signed in to the sign-in page', async () => {
      expect((await request(t.app).get('/admin/users').expect(303)).headers.location).toBe('/login?reason=sign-in-first&returnTo=%2Fadmin%2Fusers');
    });

    it('refuses an admin change without the CSRF token', async () => {
      await admin.agent.post('/admin/users').type('form').send({ username: 'no-csrf-user', password: 'long-enough-pw', role: 'user' }).expect(403);
      expect(await t.deps.users.findByUsername('no-csrf-user')).toBeUndefined();
    });

    it('shows admins an Admin link in the navigation, and plain users none', async () => {
      expect((await admin.agent.get('/dashboard')).text).toContain('href="/admin/users"');
      expect((await (await t.signIn()).agent.get('/dashboard')).text).not.toContain('href="/admin/users"');
    });
  });

  it('lists the dealers that subscribed, from Fortellis, with status, activation date and environment', async () => {
    const page = await admin.agent.get('/admin/subscriptions').expect(200);
    expect(page.text).toContain('Test Dealer (Fortellis sample data)');
    expect(page.text).toContain('Sunrise Motors');
    expect(page.text).toContain('Lakeside Auto Group');
    expect(page.text).toMatch(/inactive/);
    expect(page.text).toContain(sunrise);
    expect(page.text).toMatch(/\d{4}-\d{2}-\d{2}/);
  });

  it('creates a user linked to an active subscription, and records it', async () => {
    const response = await post('/admin/users', { username: 'new-advisor', password: 'advisor-password', role: 'user', subscriptionId: sunrise }).expect(303);
    expect(response.headers.location).toBe('/admin/users?done=created');
    expect((await admin.agent.get('/admin/users?done=created')).text).toContain('User created.');
    const user = await t.deps.users.findByUsername('new-advisor');
    expect(user).toMatchObject({ role: 'user', subscriptions: [{ subscriptionId: sunrise, orgName: 'Sunrise Motors' }] });
    const signedIn = await t.signIn('new-advisor', 'advisor-password');
    expect((await signedIn.agent.get('/api/me')).body.subscriptionId).toBe(sunrise);
  });

  it('explains bad input instead of failing: duplicate names, short passwords, unknown roles', async () => {
    const duplicate = await post('/admin/users', { username: 'demo', password: 'whatever-password', role: 'user' }).expect(409);
    expect(duplicate.text).toContain('already exists');
    const bad = await post('/admin/users', { username: 'x', password: 'short', role: 'root' }).expect(400);
    expect(bad.text).toMatch(/Username must be at least 3 characters/);
    expect(bad.text).toMatch(/Password must be at least 8 characters/);
    expect(bad.text).toMatch(/Role must be admin or user/);
  });

  it('gives the create form back as it was typed after a refusal, each problem beside its field, never the password', async () => {
    const bad = await post('/admin/users', { username: 'Ok-Name', password: 'pw-7chr', role: 'admin', subscriptionId: 'test' }).expect(400);
    expect(bad.text).toContain('id="new-username" name="username" required minlength="3" maxlength="64" autocomplete="off" value="Ok-Name"');
    expect(bad.text).toMatch(/<option value="admin" selected>admin<\/option>/);
    expect(bad.text).toMatch(/<option value="test" selected>/);
    expect(bad.text).toContain('<p class="field-error" id="new-password-error">Password must be at least 8 characters.</p>');
    expect(bad.text).toContain('id="new-password" name="password" type="password" required minlength="8" maxlength="1024" autocomplete="new-password" aria-invalid="true" aria-describedby="new-password-error"');
    expect(bad.text).not.toContain('pw-7chr');
    const taken = await post('/admin/users', { username: 'demo', password: 'long-enough-password', role: 'user' }).expect(409);
    expect(taken.text).toContain('<p class="field-error" id="new-username-error">A user named &quot;demo&quot; already exists: choose another username.</p>');
    expect(taken.text).toContain('value="demo"');
    // Markup typed into a field comes back escaped, as text.
    const markup = await post('/admin/users', { username: '"><script>x</script>', password: 'p', role: 'user' }).expect(400);
    expect(markup.text).not.toContain('<script>x</script>');
    expect(markup.text).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
  });

  it('links a user to two dealers; an inactive or unknown subscription is refused with the reason', async () => {
    await t.addUser('group-staff', 'group-staff-pw', 'test');
    t.clock.advanceSeconds(1);
    await post('/admin/users/group-staff/subscriptions', { subscriptionId: sunrise }).expect(303);
    const inactive = await post('/admin/users/group-staff/subscriptions', { subscriptionId: lakeside }).expect(422);
    expect(inactive.text).toMatch(/Lakeside Auto Group is inactive since \d{4}-\d{2}-\d{2}/);
    const unknown = await post('/admin/users/group-staff/subscriptions', { subscriptionId: 'not-a-subscription' }).expect(422);
    expect(unknown.text).toContain('Fortellis does not list not-a-subscription');
    await post('/admin/users/nobody-here/subscriptions', { subscriptionId: sunrise }).expect(404);
    const user = await t.deps.users.findByUsername('group-staff');
    expect(user!.subscriptions.map((s) => s.subscriptionId)).toEqual(['test', sunrise]);
    const listing = await admin.agent.get('/admin/users').expect(200);
    expect(listing.text).toContain('Sunrise Motors');
  });

  it('unlinks a subscription and ends the user’s sessions', async () => {
    await t.addUser('unlink-me', 'unlink-me-pw', 'test');
    await t.deps.users.link('unlink-me', harbor, 'Harbor View Motors');
    const user = await t.signIn('unlink-me', 'unlink-me-pw');
    await post(`/admin/users/unlink-me/subscriptions/${harbor}/unlink`, {}).expect(303);
    await user.agent.get('/api/me').expect(401);
    expect((await t.deps.users.findByUsername('unlink-me'))!.subscriptions.map((s) => s.subscriptionId)).toEqual(['test']);
    await post(`/admin/users/unlink-me/subscriptions/${harbor}/unlink`, {}).expect(404);
  });

  it('resets a password: the old one stops working and the user’s sessions end', async () => {
    await t.addUser('forgetful', 'old-password-1', 'test');
    const user = await t.signIn('forgetful', 'old-password-1');
    await post('/admin/users/forgetful/password', { password: 'new-password-2' }).expect(303);
    await user.agent.get('/api/me').expect(401);
    await expect(t.signIn('forgetful', 'old-password-1')).rejects.toThrow(/401/);
    await t.signIn('forgetful', 'new-password-2');
    await post('/admin/users/forgetful/password', { password: 'short' }).expect(400);
  });

  it('deactivates a user (their sessions end at once) and activates them again', async () => {
    await t.addUser('temp-staff', 'temp-staff-pw', 'test');
    const user = await t.signIn('temp-staff', 'temp-staff-pw');
    await post('/admin/users/temp-staff/deactivate', {}).expect(303);
    await user.agent.get('/api/me').expect(401);
    await expect(t.signIn('temp-staff', 'temp-staff-pw')).rejects.toThrow(/401/);
    await post('/admin/users/temp-staff/activate', {}).expect(303);
    await t.signIn('temp-staff', 'temp-staff-pw');
  });

  it('does not let an admin deactivate themselves', async () => {
    const response = await post('/admin/users/admin/deactivate', {}).expect(400);
    expect(response.text).toContain('cannot deactivate your own account');
  });

  it('stops a demoted or deactivated admin at the next admin request', async () => {
    await t.addUser('second-admin', 'second-admin-pw', 'test');
    await t.deps.users.setRole('second-admin', 'admin');
    const other = await t.signIn('second-admin', 'second-admin-pw');
    await other.agent.get('/admin/users').expect(200);
    await t.deps.users.setRole('second-admin', 'user');
    await other.agent.get('/admin/users').expect(403);
  });

  it('records admin actions in the audit log, with who, what and when', async () => {
    t.clock.advanceSeconds(1);
    await post('/admin/users', { username: 'audited-user', password: 'audited-password', role: 'user' }).expect(303);
    const page = await admin.agent.get('/admin/audit').expect(200);
    expect(page.text).toContain('user.create');
    expect(page.text).toContain('audited-user');
    const entries = await t.deps.audit.latest();
    expect(entries[0]).toMatchObject({ actorUsername: 'admin', action: 'user.create', target: 'audited-user', at: t.clock.now() });
    expect(JSON.stringify(entries)).not.toContain('audited-password');
  });

  it('refreshes the cached subscriptions on request', async () => {
    await admin.agent.get('/admin/subscriptions');
    const before = t.sim.simulator.stats().apiRequests;
    await admin.agent.get('/admin/subscriptions');
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
    await post('/admin/subscriptions/refresh', {}).expect(303);
    await admin.agent.get('/admin/subscriptions');
    expect(t.sim.simulator.stats().apiRequests).toBe(before + 1);
  });

  it('still shows the users page when Fortellis cannot list subscriptions, and says what is unknown', async () => {
    t.sim.simulator.addFault({ target: 'api', status: 503, pathPrefix: '/v1/solution/subscriptions' });
    try {
      // "Reloaded" only when Fortellis answered: never a green notice above the error that denies it.
      const refreshed = await post('/admin/subscriptions/refresh', {}).expect(303);
      expect(refreshed.headers.location).toBe('/admin/subscriptions');
      const stale = await admin.agent.get('/admin/subscriptions?done=refreshed').expect(200);
      expect(stale.text).not.toContain('Subscriptions reloaded');
      expect(stale.text).toContain('Fortellis could not list the subscriptions');
      expect(stale.text).toContain('Unknown until Fortellis answers.');
      const page = await admin.agent.get('/admin/users').expect(200);
      expect(page.text).toContain('Fortellis subscriptions are unavailable');
      // The demo user's link is not "unknown to Fortellis": its status is unknown, and linking waits.
      expect(page.text).toContain('status unknown: Fortellis unavailable');
      expect(page.text).not.toContain('unknown to Fortellis');
      expect(page.text).toContain('Not now: Fortellis cannot confirm a subscription.');
      expect(page.text).not.toMatch(/<button type="submit" class="secondary">Link<\/button>/);
      const linking = await post('/admin/users/demo/subscriptions', { subscriptionId: sunrise }).expect(502);
      expect(linking.text).toContain('could not confirm the subscription');
    } finally {
      t.sim.simulator.clearFaults();
    }
  });

  it('serves the login form to admins like everyone else (admin pages are not a second sign-in)', async () => {
    const page = await request(t.app).get('/login');
    expect(extractFormCsrf(page.text)).toBeTruthy();
  });

  describe('lifting a sign-in lockout', () => {
    /** One sign-in attempt from a fresh browser: the status it gets. */
    async function tryToSignIn(username: string, password: string): Promise<number> {
      const agent = request.agent(t.app);
      const form = await agent.get('/login');
      return (await agent.post('/login').type('form').send({ username, password, _csrf: extractFormCsrf(form.text) })).status;
    }

    beforeAll(async () => {
      await t.addUser('locked-out', 'right-password-1', 'test');
      for (let i = 0; i < t.config.signInLimits.maxFailuresPerUsername; i += 1) expect(await tryToSignIn('locked-out', `wrong-${i}`)).toBe(401);
    });

    it('shows the lockout on the users page, and the right password is refused meanwhile', async () => {
      expect(await tryToSignIn('locked-out', 'right-password-1')).toBe(429);
      const page = await admin.agent.get('/admin/users').expect(200);
      expect(page.text).toContain('locked-out <span class="badge warn">sign-in locked (15 min)</span>');
      expect(page.text).toContain('action="/admin/users/locked-out/unlock"');
    });

    it('refuses the unlock without the session’s CSRF token', async () => {
      await admin.agent.post('/admin/users/locked-out/unlock').type('form').send({}).expect(403);
      expect(await t.deps.signInThrottle.lockedFor('locked-out')).toBeGreaterThan(0);
    });

    it('lets an admin lift it, records who did, and the user signs in at once', async () => {
      const response = await post('/admin/users/locked-out/unlock', {}).expect(303);
      expect(response.headers.location).toBe('/admin/users?done=unlocked');
      expect((await admin.agent.get('/admin/users?done=unlocked')).text).toContain('Sign-in unlocked');
      expect(await tryToSignIn('locked-out', 'right-password-1')).toBe(303);
      const entry = (await t.deps.audit.latest(20)).find((e) => e.action === 'user.unlock');
      expect(entry).toMatchObject({ actorUsername: 'admin', target: 'locked-out' });
      expect(entry!.detail!.wasLockedForSeconds).toBeGreaterThan(0);
    });

    it('says so for a user that does not exist', async () => {
      const response = await post('/admin/users/nobody-at-all/unlock', {});
      expect(response.status).toBe(404);
      expect(response.text).toContain('There is no user by that name.');
    });
  });
});
