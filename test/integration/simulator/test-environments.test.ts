import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { startHarness, type SimulatorHarness } from './simulator-harness';

const APPOINTMENTS = '/service/v3/appointments/';

/**
 * Issue 13.5: Fortellis hosts an API's Test environment as a path namespace beside Production
 * (`/cdk-test/...` beside `/cdk/...`); the Test environment takes only test subscriptions.
 */
describe('the simulated API host’s Test environment namespace', () => {
  let h: SimulatorHarness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness();
    token = await h.token();
  });
  afterAll(() => h.running.close());

  it('serves every API under /cdk-test for a test subscription, with links that stay in the namespace', async () => {
    const response = await h.api().get(`/cdk-test${APPOINTMENTS}`).set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.test)).expect(200);
    expect(response.body.items[0].links.self.href).toMatch(new RegExp(`^${h.running.apiBaseUrl}/cdk-test${APPOINTMENTS}`));
    await h.api().get('/cdk-test/sales/inventory/v1/merchandisable-vehicles/').set(h.apiHeaders(token)).expect(200);
    await h.api().get('/cdk-test/crm/cdk-crm/v1/leads/ping').set(h.apiHeaders(token)).expect(200);
  });

  it('serves the same APIs under /cdk and at the bare path (Production) to any active subscription', async () => {
    for (const path of [`/cdk${APPOINTMENTS}`, APPOINTMENTS]) {
      for (const subscription of [SIMULATOR_SUBSCRIPTIONS.test, SIMULATOR_SUBSCRIPTIONS.sunrise]) {
        const response = await h.api().get(path).set(h.apiHeaders(token, subscription));
        expect({ path, subscription, status: response.status }).toEqual({ path, subscription, status: 200 });
      }
    }
  });

  it('refuses a production subscription in the Test environment with 403 SUBSCRIPTION-MISMATCH', async () => {
    const response = await h.api().get(`/cdk-test${APPOINTMENTS}`).set(h.apiHeaders(token, SIMULATOR_SUBSCRIPTIONS.sunrise));
    expect(response.status).toBe(403);
    expect(response.body.message).toMatch(/^SUBSCRIPTION-MISMATCH: .*production environment/);
  });

  it('answers API-DOES-NOT-EXIST for namespaces stacked or unknown', async () => {
    for (const path of [`/cdk/cdk-test${APPOINTMENTS}`, `/cdk-prod${APPOINTMENTS}`]) {
      const response = await h.api().get(path).set(h.apiHeaders(token));
      expect({ path, status: response.status, message: response.body.message }).toEqual({ path, status: 404, message: expect.stringMatching(/^API-DOES-NOT-EXIST/) });
    }
  });
});

describe('switching the app to the Test environment', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('works per call: the browser names the namespace in the path', async () => {
    t = await buildTestApp();
    const { agent } = await t.signIn();
    await agent.get(`/api/fortellis/cdk-test${APPOINTMENTS}`).expect(200);
    expect(t.sim.simulator.stats().lastApiRequest!.path).toBe(`/apis/cdk-test${APPOINTMENTS}`);
  });

  it('works for every call at once: the namespace in FORTELLIS_API_BASE_URL', async () => {
    t = await buildTestApp({ adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: `${config.fortellis.apiBaseUrl}/cdk-test` } }) });
    const { agent } = await t.signIn();
    await agent.get(`/api/fortellis${APPOINTMENTS}`).expect(200);
    expect(t.sim.simulator.stats().lastApiRequest!.path).toBe(`/apis/cdk-test${APPOINTMENTS}`);
  });
});
