import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { buildTestApp, type SignedIn, type TestApp } from '../../support/test-app';

/**
 * Issue 12.4: through the app's proxy a plain user must reach the business APIs and nothing else of the
 * simulator. Fortellis serves APIs, identity and subscriptions on different hosts; the simulator serves its
 * APIs below their own base path, so everything else is simply not under the app's FORTELLIS_API_BASE_URL.
 */
describe('what a signed-in user reaches of the simulator through the app’s proxy', () => {
  let t: TestApp;
  let user: SignedIn;

  beforeAll(async () => {
    t = await buildTestApp();
    user = await t.signIn();
  });
  afterAll(async () => {
    await t.close();
  });

  /** The proxy's answer for a path the simulated API host does not serve. */
  function expectNotAnApi(response: { status: number; body: Record<string, unknown>; text: string }) {
    expect(response.status).toBe(404);
    expect(response.body.fortellisCode).toBe('API-DOES-NOT-EXIST');
    // Nothing of the simulator's controls comes back: no counters, no recorded request, no token.
    expect(response.text).not.toMatch(/lastApiRequest|tokenRequests|Bearer|eyJ/);
  }

  it('still reaches a business API', async () => {
    const response = await user.agent.get('/api/fortellis/service/v3/appointments/').expect(200);
    expect(response.body.items.length).toBeGreaterThan(0);
  });

  it('does not reach the simulator’s stats (another user’s last request and the app’s token)', async () => {
    await t.signIn().then((other) => other.agent.get('/api/fortellis/service/v3/appointments/').expect(200));
    expectNotAnApi(await user.agent.get('/api/fortellis/__simulator/stats'));
  });

  it('cannot add a fault, expire tokens or reset the stats, even with a valid CSRF token', async () => {
    const fault = await user.agent
      .post('/api/fortellis/__simulator/faults')
      .set('X-CSRF-Token', user.csrfToken)
      .send({ target: 'api', status: 503 });
    expectNotAnApi(fault);
    expectNotAnApi(await user.agent.post('/api/fortellis/__simulator/expire-tokens').set('X-CSRF-Token', user.csrfToken));
    expect(t.sim.simulator.faults()).toEqual([]);
    expect(t.sim.simulator.stats().tokensExpiredBefore).toBeNull();
    // Calls for everyone keep working.
    await user.agent.get('/api/fortellis/service/v3/appointments/').expect(200);
  });

  it('does not reach the subscriptions API: neither the list of every dealer nor another dealer’s context', async () => {
    expectNotAnApi(await user.agent.get('/api/fortellis/v1/solution/subscriptions'));
    expectNotAnApi(await user.agent.get(`/api/fortellis/subscriptions/${SIMULATOR_SUBSCRIPTIONS.sunrise}/context`));
    expectNotAnApi(await user.agent.get('/api/fortellis/subscriptions/x/context'));
  });

  it('does not reach the identity server', async () => {
    expectNotAnApi(await user.agent.get('/api/fortellis/oauth2/aus-simulator/v1/keys'));
    expectNotAnApi(await user.agent.get('/api/fortellis/oauth2/aus-simulator/.well-known/openid-configuration'));
    const token = await user.agent
      .post('/api/fortellis/oauth2/aus-simulator/v1/token')
      .set('X-CSRF-Token', user.csrfToken)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'anonymous' });
    expectNotAnApi(token);
  });

  it('cannot climb out of the API base path with dot segments, plain or encoded', async () => {
    for (const path of ['/api/fortellis/../__simulator/stats', '/api/fortellis/%2e%2e/__simulator/stats', '/api/fortellis/service/%2E%2E/%2e%2e/__simulator/stats']) {
      const response = await user.agent.get(path);
      expect({ path, reached: response.status === 200 }).toEqual({ path, reached: false });
      expect(response.text).not.toMatch(/lastApiRequest|tokenRequests/);
    }
  });
});
