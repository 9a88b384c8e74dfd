import { UserAdministration } from '../../../src/auth/user-admin';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { holdNextSessionSave } from '../../support/session-store-faults';
import { REDIS_URL, uniqueName } from '../../support/services';

const APPOINTMENTS = '/api/fortellis/service/v3/appointments/';
const PASSWORD = 'racer-password-1';

const stores: Array<[string, Record<string, string> | undefined]> = [['the database session store (SQLite)', {}]];
if (REDIS_URL) stores.push(['the Redis session store', { REDIS_URL, REDIS_KEY_PREFIX: `${uniqueName('race')}:` }]);
else console.log('Skipping the Redis case of "a user deactivated while a store switch is in flight": REDIS_URL is not set.');

describe.each(stores)('with %s', (_name, env) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ env });
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
});
