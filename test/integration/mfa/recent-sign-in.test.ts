import { buildTestApp, type TestApp } from '../../support/test-app';
import { codeAt, enrolTotp, giveCode, passwordStep } from '../../support/mfa';

const json = { Accept: 'application/json' };

describe('changing second factors needs a recent sign-in', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ env: { SESSION_IDLE_TIMEOUT_SECONDS: '3600' } });
  });
  afterEach(() => t.close());

  it('lets a session enrol a factor within 15 minutes of signing in', async () => {
    const demo = await t.signIn();
    t.clock.advanceSeconds(14 * 60);
    expect((await enrolTotp(t, demo)).secret).toBeTruthy();
  });

  it('refuses an older session (a stolen one must not add its own factor or remove the user’s), and signing in again lifts it', async () => {
    const demo = await t.signIn();
    const { secret } = await enrolTotp(t, demo);
    const factors = (await demo.agent.get('/mfa/factors').set(json).expect(200)).body as { factors: Array<{ id: string }> };
    const factorId = factors.factors[0]!.id;
    t.clock.advanceSeconds(16 * 60);

    for (const call of [
      demo.agent.post('/mfa/totp'),
      demo.agent.post('/mfa/passkey/options'),
      demo.agent.post('/mfa/recovery-codes'),
      demo.agent.post(`/mfa/factors/${factorId}/delete`),
    ]) {
      const refused = await call.set(json).set('X-CSRF-Token', demo.csrfToken).send({});
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ type: 'urn:fortellis-bff:problem:recent-sign-in-required' });
    }
    // Reading them is fine; and the factor is still there.
    expect((await demo.agent.get('/mfa/factors').set(json).expect(200)).body.factors).toHaveLength(1);

    // A fresh sign-in (password and the factor) may change them again.
    t.clock.advanceSeconds(30);
    const step = await passwordStep(t);
    await giveCode(step, codeAt(secret, t.clock)).expect(303);
    const me = (await step.agent.get('/api/me').expect(200)).body as { csrfToken: string };
    await step.agent.post('/mfa/recovery-codes').set(json).set('X-CSRF-Token', me.csrfToken).send({}).expect(200);
  });
});
