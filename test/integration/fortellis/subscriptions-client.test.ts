import axios, { type AxiosInstance } from 'axios';
import { SubscriptionsClient } from '../../../src/fortellis/subscriptions';
import { MemoryTokenCache, TokenProvider } from '../../../src/fortellis/token-provider';
import { SIMULATOR_SUBSCRIPTIONS } from '../../../src/simulator';
import { startHarness, type SimulatorHarness } from '../simulator/simulator-harness';

/** The subscriptions client against the simulator: single flight, renew-and-replay, an LRU cache by the clock (issue 15.4). */
describe('the subscriptions client', () => {
  let h: SimulatorHarness;
  let http: AxiosInstance;
  let requests: string[];
  let tokensFetched: number;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.running.close());
  beforeEach(() => {
    requests = [];
    tokensFetched = 0;
    http = axios.create();
    http.interceptors.request.use((config) => {
      requests.push(new URL(config.url!).pathname);
      return config;
    });
  });

  /** A client whose token provider hands out `first` once (when given), then real tokens. */
  function client(options: { first?: string; maxContexts?: number } = {}) {
    const fetchToken = async () => {
      tokensFetched += 1;
      const value = tokensFetched === 1 && options.first ? options.first : await h.token();
      return { value, expiresAt: h.clock.now() + 3_600_000, obtainedAt: h.clock.now(), scope: 'anonymous' };
    };
    const tokens = new TokenProvider({ fetchToken, cache: new MemoryTokenCache(h.clock), cacheKey: 'subscriptions-test', clock: h.clock, refreshSkewMs: 0 });
    return new SubscriptionsClient({ http, baseUrl: h.running.subscriptionsUrl, tokens, clock: h.clock, timeoutMs: 2000, cacheMs: 60_000, maxContexts: options.maxContexts });
  }

  it('sends one request for many callers of the same cache miss', async () => {
    const c = client();
    const lists = await Promise.all(Array.from({ length: 10 }, () => c.listSubscriptions()));
    expect(requests.filter((p) => p === '/v1/solution/subscriptions')).toHaveLength(1);
    for (const list of lists) expect(list.map((s) => s.subscriptionId)).toContain(SIMULATOR_SUBSCRIPTIONS.test);
    const contexts = await Promise.all(Array.from({ length: 10 }, () => c.getContext(SIMULATOR_SUBSCRIPTIONS.sunrise)));
    expect(requests.filter((p) => p.endsWith('/context'))).toHaveLength(1);
    expect(new Set(contexts.map((context) => context?.organizationInfo.name)).size).toBe(1);
  });

  it('renews a token the gateway refuses and replays the request once', async () => {
    const c = client({ first: 'not-a-token-the-gateway-accepts' });
    const list = await c.listSubscriptions();
    expect(list.length).toBeGreaterThan(0);
    expect(tokensFetched).toBe(2);
    expect(requests).toEqual(['/v1/solution/subscriptions', '/v1/solution/subscriptions']);
  });

  it('keeps answers for cacheMs by the clock, then asks again', async () => {
    // lru-cache counts an entry stale once strictly more than its ttl has passed.
    const c = client();
    await c.listSubscriptions();
    h.clock.advance(60_000);
    await c.listSubscriptions();
    expect(requests).toHaveLength(1);
    h.clock.advance(1);
    await c.listSubscriptions();
    expect(requests).toHaveLength(2);
  });

  it('drops the least recently used context when full, not every context', async () => {
    const c = client({ maxContexts: 2 });
    const { test, sunrise, harbor } = SIMULATOR_SUBSCRIPTIONS;
    await c.getContext(test);
    await c.getContext(sunrise);
    await c.getContext(test); // test is now the most recently used
    await c.getContext(harbor); // evicts sunrise
    expect(requests).toHaveLength(3);
    await c.getContext(test);
    expect(requests).toHaveLength(3);
    await c.getContext(sunrise);
    expect(requests).toHaveLength(4);
  });

  it('does not cache an answer that was on its way when an admin asked for fresh data', async () => {
    const c = client();
    const before = c.listSubscriptions();
    c.refresh();
    await before;
    await c.listSubscriptions();
    expect(requests.filter((p) => p === '/v1/solution/subscriptions')).toHaveLength(2);
  });
});
