import { buildTestApp, type SignedIn, type TestApp } from '../../support/test-app';
import { codeAt, enrolTotp, giveCode, passwordStep } from '../../support/mfa';

describe('the MFA policy and the admin reset', () => {
  let t: TestApp;
  let admin: SignedIn;

  beforeEach(async () => {
    t = await buildTestApp();
    admin = await t.signIn('admin', 'admin-password');
  });
  afterEach(async () => {
    await t.close();
  });

  const setPolicy = (body: string) => admin.agent.post('/admin/security/policy').type('form').send(`${body}&_csrf=${admin.csrfToken}`);

  it('sends a user of a required role without a factor to enrol right after the password, then signs them in', async () => {
    await setPolicy('roles=user').expect(303);
    const step = await passwordStep(t);
    expect(step.location).toBe('/login/enrol');
    // Not signed in while enrolling, and cannot skip the enrolment.
    await step.agent.get('/api/me').expect(401);
    expect((await step.agent.post('/login/enrol/continue').type('form').send({ _csrf: step.csrf }).expect(303)).headers.location).toBe('/login/enrol');
    expect((await step.agent.get('/login/second-factor').expect(303)).headers.location).toBe('/login/enrol');

    const { recoveryCodes } = await enrolTotp(t, { agent: step.agent, csrfToken: step.csrf });
    expect(recoveryCodes).toHaveLength(10);
    // Enrolling during sign-in reaches only what enrolling needs.
    await step.agent.post('/mfa/recovery-codes').set('Accept', 'application/json').set('X-CSRF-Token', step.csrf).expect(401);
    expect((await step.agent.post('/login/enrol/continue').type('form').send({ _csrf: step.csrf }).expect(303)).headers.location).toBe('/dashboard');
    expect((await step.agent.get('/api/me').expect(200)).body.username).toBe('demo');
  });

  it('applies "everyone" to every role, and leaves roles that are not required alone', async () => {
    await setPolicy('roles=admin').expect(303);
    await t.signIn(); // a plain user: password alone still signs in
    await setPolicy('everyone=on').expect(303);
    expect((await passwordStep(t)).location).toBe('/login/enrol');
    expect((await t.deps.mfaPolicy.get())).toEqual({ everyone: true, roles: [] });
  });

  it('records policy changes in the audit log and refuses a malformed policy form', async () => {
    await setPolicy('everyone=on&roles=admin&roles=user').expect(303);
    await setPolicy('roles=superuser').expect(400);
    const entries = await t.deps.audit.latest();
    expect(entries.find((e) => e.action === 'mfa.policy')?.detail).toEqual({ everyone: true, roles: ['admin', 'user'] });
  });

  it('keeps a required user’s last factor', async () => {
    const demo = await t.signIn();
    await enrolTotp(t, demo);
    await setPolicy('roles=user').expect(303);
    const [factor] = (await demo.agent.get('/mfa/factors').set('Accept', 'application/json').expect(200)).body.factors as Array<{ id: string }>;
    const refused = await demo.agent.post(`/mfa/factors/${factor!.id}/delete`).set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
  });

  it('lets an admin reset a user’s factors: audited, their sessions end, and they sign in with the password alone', async () => {
    const demo = await t.signIn();
    await enrolTotp(t, demo);
    t.clock.advanceSeconds(30);
    const page = await admin.agent.get('/admin/security').expect(200);
    expect(page.text).toContain('Authenticator app: Authenticator app');

    await admin.agent.post('/admin/security/users/demo/reset').type('form').send({ _csrf: admin.csrfToken }).expect(303);
    await demo.agent.get('/api/me').expect(401);
    expect(await t.deps.mfa.list((await t.deps.users.findByUsername('demo'))!.id)).toEqual([]);
    expect((await t.deps.audit.latest()).find((e) => e.action === 'mfa.reset')).toMatchObject({ actorUsername: 'admin', target: 'demo' });
    await t.signIn(); // no second step any more
  });

  it('refuses the security pages to non-admins and resets without the CSRF token', async () => {
    const demo = await t.signIn();
    await demo.agent.get('/admin/security').expect(403);
    await demo.agent.post('/admin/security/users/admin/reset').type('form').send({ _csrf: demo.csrfToken }).expect(403);
    await admin.agent.post('/admin/security/users/demo/reset').type('form').send({}).expect(403);
    await admin.agent.post('/admin/security/users/nobody/reset').type('form').send({ _csrf: admin.csrfToken }).expect(404);
  });

  it('lets a user with a factor remove it and make new recovery codes, which replace the old ones', async () => {
    const demo = await t.signIn();
    const { secret, recoveryCodes } = await enrolTotp(t, demo);
    const fresh = await demo.agent.post('/mfa/recovery-codes').set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken).expect(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    await giveCode(await passwordStep(t), recoveryCodes![0]!, 'recovery').expect(401);
    await giveCode(await passwordStep(t), fresh.body.recoveryCodes[0], 'recovery').expect(303);
    t.clock.advanceSeconds(30);
    await giveCode(await passwordStep(t), codeAt(secret, t.clock)).expect(303);
  });

  it('refuses a wrong first code when enrolling, and a confirmation with no enrolment begun', async () => {
    const demo = await t.signIn();
    await demo.agent.post('/mfa/totp/confirm').set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken).send({ code: '123456' }).expect(422);
    await demo.agent.post('/mfa/totp').set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken).expect(200);
    await demo.agent.post('/mfa/totp/confirm').set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken).send({ code: '000000' }).expect(422);
    await demo.agent.post('/mfa/totp/confirm').set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken).send({ code: { $gt: '' } }).expect(400);
    await demo.agent.post('/mfa/totp').set('Accept', 'application/json').expect(403);
    expect(await t.deps.mfa.list((await t.deps.users.findByUsername('demo'))!.id)).toEqual([]);
  });

  it('refuses a forged passkey registration or sign-in answer with a problem, not a 500', async () => {
    const demo = await t.signIn();
    const json = (path: string, body?: unknown) => demo.agent.post(path).set('Accept', 'application/json').set('X-CSRF-Token', demo.csrfToken).send(body as object);
    const options = await json('/mfa/passkey/options').expect(200);
    expect(options.body.rp).toEqual({ name: 'Fortellis BFF', id: 'localhost' });
    const forged = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' }, clientExtensionResults: {} };
    expect((await json('/mfa/passkey', { credential: forged })).status).toBe(422);
    // The challenge was spent by that try.
    expect((await json('/mfa/passkey', { credential: forged })).status).toBe(422);

    await enrolTotp(t, demo);
    const step = await passwordStep(t);
    const post = (path: string, body?: unknown) => step.agent.post(path).set('Accept', 'application/json').set('X-CSRF-Token', step.csrf).send(body as object);
    await post('/login/second-factor/passkey/options').expect(200);
    const refused = await post('/login/second-factor/passkey', { ...forged, response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' } });
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text).type).toBe('urn:fortellis-bff:problem:second-factor-failed');
    await step.agent.get('/api/me').expect(401);
  });
});
