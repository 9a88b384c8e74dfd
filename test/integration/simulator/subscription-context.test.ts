import type { IncomingMessage, ServerResponse } from 'node:http';
import axios from 'axios';
import { SubscriptionsClient } from '../../../src/fortellis/subscriptions';
import { MemoryTokenCache, TokenProvider } from '../../../src/fortellis/token-provider';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { FakeClock } from '../../support/fake-clock';
import { listen, type Listening } from '../../support/listen';
import { startHarness, type SimulatorHarness } from './simulator-harness';

/** The docs' example answer (tutorials/app-toolbox/using-the-subscriptions-endpoint), all four objects. */
const organization = { id: 'c8c2bbc3-d8be-42c7-a298-6b480bd820d1', name: 'Car Dealership', address: '8601 Ranch Road 2222 Austin TX 78730 US', countryCode: 'US', phoneNumber: '9402310425' };
const app = { id: '6f415b3e-6acc-4946-813d-e53b0c89cb06', name: 'repair-order-app-v2', developer: 'CDK Global', contactEmail: 'support@fortellis.io' };

function clientFor(baseUrl: string, clock: FakeClock, fetchToken: () => Promise<{ value: string; expiresAt: number; obtainedAt: number; scope: string }>) {
  const tokens = new TokenProvider({ fetchToken, cache: new MemoryTokenCache(clock), cacheKey: 'test', clock, refreshSkewMs: 0 });
  return new SubscriptionsClient({ http: axios.create(), baseUrl, tokens, clock, timeoutMs: 2000 });
}

describe('the subscription context, as the simulator answers it and the client reads it (issue 13.3)', () => {
  let h: SimulatorHarness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());

  it('has organizationInfo, appInfo, entityInfo and solutionInfo, and the client parses all four', async () => {
    const client = clientFor(h.running.subscriptionsUrl, h.clock, async () => ({ value: await h.token(), expiresAt: h.clock.now() + 3_600_000, obtainedAt: h.clock.now(), scope: 'anonymous' }));
    const context = (await client.getContext(SIMULATOR_SUBSCRIPTIONS.sunrise))!;
    expect(context.organizationInfo).toMatchObject({ name: 'Sunrise Motors', countryCode: 'US' });
    expect(context.entityInfo).toEqual(context.organizationInfo);
    expect(context.appInfo).toMatchObject({ id: expect.any(String), name: expect.any(String), developer: expect.any(String), contactEmail: expect.stringContaining('@') });
    expect(context.solutionInfo).toEqual(context.appInfo);
  });
});

describe('the subscriptions client reading context answers of every documented shape', () => {
  let upstream: Listening;
  let answer: unknown;
  const clock = new FakeClock();
  beforeAll(async () => {
    upstream = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });
  afterAll(() => upstream.close());

  async function read(body: unknown) {
    answer = body;
    const client = clientFor(upstream.url, clock, async () => ({ value: 'token', expiresAt: clock.now() + 3_600_000, obtainedAt: clock.now(), scope: 'anonymous' }));
    return client.getContext('some-subscription');
  }

  it('reads the docs’ answer with all four objects', async () => {
    await expect(read({ organizationInfo: organization, appInfo: app, entityInfo: organization, solutionInfo: app })).resolves.toEqual({
      organizationInfo: organization,
      appInfo: app,
      entityInfo: organization,
      solutionInfo: app,
    });
  });

  it('reads the newer answer with organizationInfo and appInfo only', async () => {
    await expect(read({ organizationInfo: organization, appInfo: app })).resolves.toMatchObject({ organizationInfo: organization, appInfo: app });
  });

  it('falls back to entityInfo and solutionInfo when only the older names are there', async () => {
    await expect(read({ entityInfo: organization, solutionInfo: app })).resolves.toMatchObject({ organizationInfo: organization, appInfo: app });
  });

  it('refuses an answer with no organisation under either name as a 502 problem', async () => {
    await expect(read({ appInfo: app })).rejects.toMatchObject({ status: 502, code: 'subscriptions-unavailable' });
  });
});
