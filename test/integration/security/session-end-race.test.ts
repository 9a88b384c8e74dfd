import { UserAdministration } from '../../../src/auth/user-admin';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import request from 'supertest';
import type { PasswordHasher } from '../../../src/auth/password';
import { buildTestApp, extractFormCsrf, type TestApp } from '../../support/test-app';
import { holdNextSessionSave } from '../../support/session-store-faults';
import { REDIS_URL, uniqueName } from '../../support/services';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';
const PASSWORD = 'racer-password-1';

const stores: Array<[string, Record<string, string> | undefined]> = [['the database session store (SQLite)', {}]];
if (REDIS_URL) stores.push(['the Redis session store', { REDIS_URL, REDIS_KEY_PREFIX: `${uniqueName('race')}:` }]);
else console.log('Skipping the Redis case of "a user deactivated while a store switch is in flight": REDIS_URL is not set.');

/** A password hasher whose next verification waits at a point the test controls. */
function holdableVerification() {
  let hold: { reached: () => void; released: Promise<void> } | undefined;
  return {
    wrap: (hasher: PasswordHasher): PasswordHasher => ({
      hash: (password) => hasher.hash(password),
      verifyAgainstDummy: (password) => hasher.verifyAgainstDummy(password),
      async verify(password, stored) {
        const ok = await hasher.verify(password, stored);
        const current = hold;
        hold = undefined;
        if (current) {
          current.reached();
          await current.released;
        }
        return ok;
      },
    }),
    holdNext() {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const reached = new Promise<void>((resolve) => (hold = { reached: resolve, released }));
      return { reached, release };
    },
  };
}

describe.each(stores)('with %s', (_name, env) => {
  let t: TestApp;
  const verification = holdableVerification();
  beforeEach(async () => {
    t = await buildTestApp({ env, wrapPasswords: verification.wrap });
    await t.addUser('racer', PASSWORD, SIMULATOR_SUBSCRIPTIONS.test);
    await t.deps.users.link('racer', SIMULATOR_SUBSCRIPTIONS.sunrise, 'Sunrise Motors');
  });
  afterEach(() => t.close());

  it('a user deactivated while a store switch is in flight stays signed out on /api/me and on the proxy', async () => {
    const { agent, csrfToken } = await t.signIn('racer', PASSWORD);
    await agent.get(APPOINTMENTS).expect(200);
    const { subscriptionId: current } = (await agent.get('/api/me').expect(200)).body as { subscriptionId: string };
    const other = current === SIMULATOR_SUBSCRIPTIONS.test ? SIMULATOR_SUBSCRIPTIONS.sunrise : SIMULATOR_SUBSCRIPTIONS.test;

    // The switch has changed the session and its save is on the way to the store when the admin acts.
    const save = holdNextSessionSave(t.deps.sessionStore);
    const switching = agent.post('/api/session/subscription').set('X-CSRF-Token', csrfToken).send({ subscriptionId: other });
    const switched = switching.then((res) => res.status);
    await save.reached;
    await new UserAdministration(t.deps.users, t.deps.passwords, t.deps.sessionStore).setActive('racer', false);
    save.release();
    expect(await switched).toBe(200);

    await agent.get('/api/me').expect(401);
    await agent.get(APPOINTMENTS).expect(401);
    await agent.get('/dashboard').expect(303);
  });

  it.each([
    ['deactivated', (admin: UserAdministration) => admin.setActive('racer', false)],
    ['given a new password', (admin: UserAdministration) => admin.setPassword('racer', 'a-brand-new-password')],
  ])('a sign-in whose password was checked before the user was %s gets no lasting session', async (_change, change) => {
    const agent = request.agent(t.app);
    const form = await agent.get('/login').expect(200);
    const held = verification.holdNext();
    const signingIn = agent.post('/login').type('form').send({ username: 'racer', password: PASSWORD, _csrf: extractFormCsrf(form.text) });
    const signedIn = signingIn.then((res) => res.status);
    await held.reached;
    await change(new UserAdministration(t.deps.users, t.deps.passwords, t.deps.sessionStore));
    held.release();
    await signedIn;

    await agent.get('/api/me').expect(401);
    await agent.get(APPOINTMENTS).expect(401);
  });
});
