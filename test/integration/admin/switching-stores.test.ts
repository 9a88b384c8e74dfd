import { SubscriptionsClient } from '../../../src/fortellis/subscriptions';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { buildTestApp, type TestApp } from '../../support/test-app';
import axios from 'axios';

const { sunrise, lakeside } = SIMULATOR_SUBSCRIPTIONS;
const VEHICLES = '/api/fortellis/sales/inventory/v1/merchandisable-vehicles/';

describe('users with several stores', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.addUser('multi-store', 'multi-store-pw', 'test');
    t.clock.advanceSeconds(1);
    await t.deps.users.link('multi-store', sunrise, 'Sunrise Motors');
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the linked stores with dealer names in /api/me, the first one active', async () => {
    const { agent } = await t.signIn('multi-store', 'multi-store-pw');
    const me = (await agent.get('/api/me').expect(200)).body;
    expect(me).toMatchObject({
      role: 'user',
      subscriptionId: 'test',
      subscriptions: [
        { subscriptionId: 'test', orgName: null },
        { subscriptionId: sunrise, orgName: 'Sunrise Motors' },
      ],
    });
  });

  it('switches store, and every proxied call then carries the chosen Subscription-Id', async () => {
    const { agent, csrfToken } = await t.signIn('multi-store', 'multi-store-pw');
    await agent.get(VEHICLES).expect(200);
    expect(t.sim.simulator.stats().lastApiRequest!.headers['subscription-id']).toBe('test');
    const switched = await agent.post('/api/session/subscription').set('X-CSRF-Token', csrfToken).send({ subscriptionId: sunrise }).expect(200);
    expect(switched.body).toEqual({ subscriptionId: sunrise });
    await agent.get(VEHICLES).expect(200);
    expect(t.sim.simulator.stats().lastApiRequest!.headers['subscription-id']).toBe(sunrise);
    expect((await agent.get('/api/me')).body.subscriptionId).toBe(sunrise);
    const audit = await t.deps.audit.latest(1);
    expect(audit[0]).toMatchObject({ actorUsername: 'multi-store', action: 'session.switch-subscription', target: sunrise, detail: { from: 'test' } });
  });

  it('switches store from the dashboard’s form, too', async () => {
    const { agent, csrfToken } = await t.signIn('multi-store', 'multi-store-pw');
    const dashboard = await agent.get('/dashboard').expect(200);
    expect(dashboard.text).toContain('id="store-switcher"');
    await agent.post('/dashboard/store').type('form').send({ _csrf: csrfToken, subscriptionId: sunrise }).expect(303);
    expect((await agent.get('/api/me')).body.subscriptionId).toBe(sunrise);
    expect((await agent.get('/dashboard')).text).toContain('Sunrise Motors');
  });

  it('refuses a switch to a subscription the user is not linked to', async () => {
    const { agent, csrfToken } = await t.signIn('multi-store', 'multi-store-pw');
    const response = await agent.post('/api/session/subscription').set('X-CSRF-Token', csrfToken).send({ subscriptionId: lakeside }).expect(403);
    expect(response.body).toMatchObject({ status: 403, title: 'Not one of your dealers' });
    expect((await agent.get('/api/me')).body.subscriptionId).toBe('test');
  });

  it('refuses a switch without the CSRF token', async () => {
    const { agent } = await t.signIn('multi-store', 'multi-store-pw');
    await agent.post('/api/session/subscription').send({ subscriptionId: sunrise }).expect(403);
  });

  it.each([
    ['malformed JSON', '{"subscriptionId":', 400, 'Malformed JSON'],
    ['a number', JSON.stringify({ subscriptionId: 42 }), 400, 'Bad request'],
    ['an array', JSON.stringify({ subscriptionId: ['test'] }), 400, 'Bad request'],
    ['an unknown field', JSON.stringify({ subscriptionId: 'test', admin: true }), 400, 'Bad request'],
    ['a NUL byte', JSON.stringify({ subscriptionId: 'te\u0000st' }), 400, 'Bad request'],
    ['a huge body', JSON.stringify({ subscriptionId: 'x'.repeat(5000) }), 413, 'Request body too large'],
  ])('answers %s with a problem, never a 500', async (_label, body, status, title) => {
    const { agent, csrfToken } = await t.signIn('multi-store', 'multi-store-pw');
    const response = await agent.post('/api/session/subscription').set('X-CSRF-Token', csrfToken).set('Content-Type', 'application/json').send(body).expect(status);
    expect(response.headers['content-type']).toMatch(/problem\+json/);
    expect(response.body.title).toBe(title);
  });
});

describe('a store whose subscription became inactive', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.addUser('lakeside-staff', 'lakeside-staff-pw', lakeside);
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers proxied calls with a clear 403 problem, and the dashboard asks to pick another store', async () => {
    const { agent } = await t.signIn('lakeside-staff', 'lakeside-staff-pw');
    const response = await agent.get(VEHICLES).expect(403);
    expect(response.body).toMatchObject({ fortellisCode: 'API-SUBSCRIPTION-INACTIVE', party: 'api-developer', detail: expect.stringMatching(/pick another store/) });
    const dashboard = await agent.get('/dashboard').expect(200);
    expect(dashboard.text).toContain('id="store-inactive"');
  });
});

describe('a user linked to no store', () => {
  it('gets a 403 problem that says to ask an administrator, without a call to Fortellis', async () => {
    const t = await buildTestApp();
    await t.deps.users.create({ username: 'unlinked', passwordHash: await t.deps.passwords.hash('unlinked-pw') });
    const { agent } = await t.signIn('unlinked', 'unlinked-pw');
    const before = t.sim.simulator.stats().apiRequests;
    const response = await agent.get(VEHICLES).expect(403);
    expect(response.body).toMatchObject({ title: 'No dealer selected', detail: expect.stringMatching(/Ask an administrator/) });
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
    expect((await agent.get('/dashboard').expect(200)).text).toContain('not linked to a dealer');
    await t.close();
  });
});

describe('the subscriptions client against the simulator', () => {
  let t: TestApp;
  let client: SubscriptionsClient;
  beforeAll(async () => {
    t = await buildTestApp();
    client = new SubscriptionsClient({ http: axios.create(), baseUrl: t.config.fortellis.subscriptionsUrl, tokens: t.deps.tokens, clock: t.clock, timeoutMs: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(() => t.sim.simulator.clearFaults());

  it('lists the app’s subscriptions, active and inactive, with the app’s token and no Subscription-Id', async () => {
    const list = await client.listSubscriptions();
    expect(list.map((s) => [s.subscriptionId, s.status])).toEqual(expect.arrayContaining([['test', 'active'], [sunrise, 'active'], [lakeside, 'inactive']]));
    const seen = t.sim.simulator.stats().lastApiRequest!;
    expect(seen.path).toBe('/v1/solution/subscriptions');
    expect(seen.headers.authorization).toMatch(/^Bearer /);
    expect(seen.headers['subscription-id']).toBeUndefined();
  });

  it('caches answers briefly, then asks again', async () => {
    client.refresh();
    await client.listSubscriptions();
    const after = t.sim.simulator.stats().apiRequests;
    await client.listSubscriptions();
    await client.findSubscription(sunrise);
    expect(t.sim.simulator.stats().apiRequests).toBe(after);
    t.clock.advanceSeconds(61);
    await client.listSubscriptions();
    expect(t.sim.simulator.stats().apiRequests).toBe(after + 1);
  });

  it('reads a subscription’s context, and answers null for one Fortellis does not know', async () => {
    expect((await client.getContext(sunrise))!.organizationInfo.name).toBe('Sunrise Motors');
    expect(await client.getContext('no-such-subscription')).toBeNull();
  });

  it('explains a Fortellis failure as a 502 problem', async () => {
    client.refresh();
    t.sim.simulator.addFault({ target: 'api', status: 500, pathPrefix: '/v1/solution/subscriptions' });
    await expect(client.listSubscriptions()).rejects.toMatchObject({ status: 502, code: 'subscriptions-unavailable', detail: expect.stringMatching(/Try again/) });
  });
});
