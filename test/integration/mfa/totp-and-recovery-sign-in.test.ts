import request from 'supertest';
import { buildTestApp, sessionCookie, type SignedIn, type TestApp } from '../../support/test-app';
import { codeAt, enrolTotp, giveCode, passwordStep } from '../../support/mfa';

describe('signing in with a password and a TOTP code or a recovery code', () => {
  let t: TestApp;
  let secret: string;
  let recoveryCodes: string[];

  beforeEach(async () => {
    t = await buildTestApp({ env: { LOGIN_MAX_FAILURES_PER_USERNAME: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '50' } });
    const demo = await t.signIn();
    ({ secret, recoveryCodes } = (await enrolTotp(t, demo)) as { secret: string; recoveryCodes: string[] });
    // The next code must be of a later step than the enrolment's (a code is good once).
    t.clock.advanceSeconds(30);
  });
  afterEach(async () => {
    await t.close();
  });

  it('asks a user with a factor for it after the right password, and signs in with a code from the clock', async () => {
    const step = await passwordStep(t);
    expect(step.location).toBe('/login/second-factor');
    const done = await giveCode(step, codeAt(secret, t.clock)).expect(303);
    expect(done.headers.location).toBe('/dashboard');
    const me = await step.agent.get('/api/me').expect(200);
    expect(me.body.username).toBe('demo');
  });

  it('returns to the page the user came for after the second step, and audits the sign-in with its factor', async () => {
    const step = await passwordStep(t, 'demo', 'demo-password', { returnTo: '/compare' });
    const done = await giveCode(step, codeAt(secret, t.clock)).expect(303);
    expect(done.headers.location).toBe('/compare');
    const { entries } = await t.deps.audit.query({ action: 'auth.sign-in.succeeded' });
    expect(entries[0]).toMatchObject({ actorUsername: 'demo', target: 'demo', detail: { secondFactor: 'totp' } });
  });

  it('does not carry a foreign return target through the second step', async () => {
    const step = await passwordStep(t, 'demo', 'demo-password', { returnTo: '//evil.example/steal' });
    const done = await giveCode(step, codeAt(secret, t.clock)).expect(303);
    expect(done.headers.location).toBe('/dashboard');
  });

  it('grants the half-signed-in session nothing: API, dashboard, admin pages and the proxy all see it signed out', async () => {
    const step = await passwordStep(t);
    await step.agent.get('/api/me').expect(401);
    await step.agent.get('/api/fortellis/service/v3/appointments/').expect(401);
    // Off to the sign-in page (with a reason and the way back: see return-to.ts), like any signed-out visit.
    expect((await step.agent.get('/dashboard').expect(303)).headers.location).toMatch(/^\/login\?reason=sign-in-first&/);
    expect((await step.agent.get('/admin/users').expect(303)).headers.location).toMatch(/^\/login\?reason=sign-in-first&/);
    // Nor does it reach the dashboard's factor management (only the policy's enrol step may enrol).
    await step.agent.get('/mfa/factors').set('Accept', 'application/json').expect(401);
  });

  it('gives the session a new id at the password step and again when the second factor is given', async () => {
    const anonymous = request.agent(t.app);
    const step = await passwordStep(t);
    const done = await giveCode(step, codeAt(secret, t.clock)).expect(303);
    const signedInCookie = sessionCookie(done.headers['set-cookie'], t.config.session.cookieName);
    expect(signedInCookie).not.toBe(step.cookie);
    // The half-signed-in id is worth nothing afterwards.
    await anonymous.get('/api/me').set('Cookie', step.cookie).expect(401);
    await anonymous.get('/api/me').set('Cookie', signedInCookie).expect(200);
  });

  it('refuses a code already used (replay), even within its 30 seconds', async () => {
    const code = codeAt(secret, t.clock);
    await giveCode(await passwordStep(t), code).expect(303);
    const again = await giveCode(await passwordStep(t), code);
    expect(again.status).toBe(401);
    expect(again.text).toContain('already used');
  });

  it('accepts a phone one step behind or ahead, not two', async () => {
    // Well past the enrolment's step, so "one behind" is a step never used.
    t.clock.advanceSeconds(60);
    await giveCode(await passwordStep(t), codeAt(secret, t.clock, -30_000)).expect(303);
    t.clock.advanceSeconds(60);
    await giveCode(await passwordStep(t), codeAt(secret, t.clock, 30_000)).expect(303);
    t.clock.advanceSeconds(120);
    expect((await giveCode(await passwordStep(t), codeAt(secret, t.clock, -60_000))).status).toBe(401);
    expect((await giveCode(await passwordStep(t), codeAt(secret, t.clock, 60_000))).status).toBe(401);
  });

  it('lets the half-signed-in state expire after five minutes: back to the password', async () => {
    const step = await passwordStep(t);
    t.clock.advanceSeconds(5 * 60);
    const late = await giveCode(step, codeAt(secret, t.clock));
    expect(late.status).toBe(303);
    expect(late.headers.location).toBe('/login');
    await step.agent.get('/api/me').expect(401);
  });

  it('takes each recovery code once', async () => {
    expect(recoveryCodes).toHaveLength(10);
    const code = recoveryCodes[3]!;
    await giveCode(await passwordStep(t), code.toUpperCase(), 'recovery').expect(303);
    const twice = await giveCode(await passwordStep(t), code, 'recovery');
    expect(twice.status).toBe(401);
    await giveCode(await passwordStep(t), recoveryCodes[4]!, 'recovery').expect(303);
  });

  it('throttles wrong codes like passwords, reserving each attempt before the check', async () => {
    const step = await passwordStep(t);
    // Six at once: with the count taken after the check, all six would be checked.
    const answers = await Promise.all(Array.from({ length: 6 }, () => giveCode(step, '000000')));
    expect(answers.map((a) => a.status).sort()).toEqual([401, 401, 401, 429, 429, 429]);
    const right = await giveCode(step, codeAt(secret, t.clock));
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.text).toContain('Too many wrong codes');
  });

  it('counts second-factor failures apart from password failures', async () => {
    const step = await passwordStep(t);
    for (let i = 0; i < 3; i += 1) await giveCode(step, '000000').expect(401);
    // The password throttle is untouched: the password step still works.
    const again = await passwordStep(t);
    expect(again.location).toBe('/login/second-factor');
  });

  it('answers a malformed code with a readable page, not a 500', async () => {
    const step = await passwordStep(t);
    const bad = await step.agent.post('/login/second-factor/totp').type('form').send({ code: ['1', '2'], _csrf: step.csrf });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Enter the code');
    await step.agent.post('/login/second-factor/totp').type('form').send({ code: '123456' }).expect(403);
  });

  it('does not finish a sign-in whose user’s sessions were ended (a password reset) during the second step', async () => {
    const step = await passwordStep(t);
    await t.deps.sessionStore.destroyUserSessions((await t.deps.users.findByUsername('demo'))!.id);
    await giveCode(step, codeAt(secret, t.clock));
    await step.agent.get('/api/me').expect(401);
  });

  it('never shows the TOTP secret again, stores it encrypted, keeps only hashes of recovery codes, and logs none of it', async () => {
    const other: SignedIn = await t.signIn('admin', 'admin-password');
    const { secret: adminSecret, recoveryCodes: adminCodes } = await enrolTotp(t, other);
    const listed = await other.agent.get('/mfa/factors').set('Accept', 'application/json').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(adminSecret);
    expect(listed.body.factors).toEqual([expect.objectContaining({ kind: 'totp', label: 'Authenticator app' })]);
    const rows = JSON.stringify(await t.deps.database.db.selectFrom('mfa_factors').selectAll().execute());
    expect(rows).not.toContain(adminSecret);
    expect(rows).toContain('"secret":"v1.');
    const codes = JSON.stringify(await t.deps.database.db.selectFrom('mfa_recovery_codes').selectAll().execute());
    for (const code of adminCodes!) expect(codes).not.toContain(code);
    for (const shown of [adminSecret, secret, ...adminCodes!, ...recoveryCodes]) expect(t.logs.text).not.toContain(shown);
  });
});
