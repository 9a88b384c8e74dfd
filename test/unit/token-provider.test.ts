import { MemoryTokenCache, TokenProvider, tokenCacheKey, type TokenEvent } from '../../src/fortellis/token-provider';
import { TokenEndpointError, type AccessToken } from '../../src/fortellis/token-client';
import { FakeClock } from '../support/fake-clock';

const HOUR_MS = 3600_000;

/** A token endpoint double: counts calls, answers in order, can be held open to test concurrency. */
class FakeTokenEndpoint {
  calls = 0;
  failures: Array<() => Error> = [];
  private gate: Promise<void> = Promise.resolve();
  private release: () => void = () => undefined;

  constructor(private readonly clock: FakeClock) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release();
  }

  fetch = async (): Promise<AccessToken> => {
    this.calls += 1;
    const call = this.calls;
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure();
    const now = this.clock.now();
    return { value: `token-${call}`, obtainedAt: now, expiresAt: now + HOUR_MS, scope: 'anonymous' };
  };
}

const unavailable = () => new TokenEndpointError(true, { logDetail: 'token endpoint answered 503', detail: 'down' });
const rejected = () => new TokenEndpointError(false, { logDetail: 'invalid_client', detail: 'The Fortellis API key or secret is wrong.', oauthError: 'invalid_client' });

function setUp(skewSeconds = 60) {
  const clock = new FakeClock();
  const endpoint = new FakeTokenEndpoint(clock);
  const events: TokenEvent[] = [];
  const provider = new TokenProvider({
    fetchToken: endpoint.fetch,
    cache: new MemoryTokenCache(clock),
    cacheKey: 'k',
    clock,
    refreshSkewMs: skewSeconds * 1000,
    onEvent: (event) => events.push(event),
  });
  return { clock, endpoint, provider, events };
}

/** Lets pending promise callbacks (a background renewal) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TokenProvider', () => {
  it('fetches a token once and serves it from memory while it is fresh', async () => {
    const { provider, endpoint, clock } = setUp();
    const first = await provider.getToken();
    clock.advanceSeconds(3000);
    const second = await provider.getToken();
    expect(second).toBe(first);
    expect(endpoint.calls).toBe(1);
  });

  it('shares one token request among 100 concurrent callers', async () => {
    const { provider, endpoint } = setUp();
    endpoint.hold();
    const callers = Array.from({ length: 100 }, () => provider.getToken());
    endpoint.open();
    const tokens = await Promise.all(callers);
    expect(endpoint.calls).toBe(1);
    expect(new Set(tokens.map((t) => t.value))).toEqual(new Set(['token-1']));
  });

  it('does not renew before expires_in minus the skew', async () => {
    const { provider, endpoint, clock } = setUp(60);
    await provider.getToken();
    clock.advanceSeconds(3600 - 60 - 1);
    await provider.getToken();
    await settle();
    expect(endpoint.calls).toBe(1);
  });

  it('renews in the background inside the skew and keeps serving the old token meanwhile', async () => {
    const { provider, endpoint, clock } = setUp(60);
    const old = await provider.getToken();
    clock.advanceSeconds(3600 - 30);
    endpoint.hold();
    expect((await provider.getToken()).value).toBe(old.value);
    expect(endpoint.calls).toBe(2);
    endpoint.open();
    await settle();
    expect((await provider.getToken()).value).toBe('token-2');
  });

  it('waits for a new token once the old one has expired', async () => {
    const { provider, endpoint, clock } = setUp(0);
    await provider.getToken();
    clock.advanceSeconds(3600);
    expect((await provider.getToken()).value).toBe('token-2');
    expect(endpoint.calls).toBe(2);
  });

  it('does not cache a failure: the next attempt after the back-off asks the endpoint again', async () => {
    const { provider, endpoint, clock } = setUp();
    endpoint.failures.push(unavailable);
    await expect(provider.getToken()).rejects.toBeInstanceOf(TokenEndpointError);
    clock.advanceSeconds(1);
    expect((await provider.getToken()).value).toBe('token-2');
    expect(endpoint.calls).toBe(2);
  });

  it('backs off after failures instead of hammering a failing endpoint, and says when to retry', async () => {
    const { provider, endpoint, clock } = setUp();
    endpoint.failures.push(unavailable, unavailable);
    await expect(provider.getToken()).rejects.toMatchObject({ status: 503, retryAfterSeconds: 1 });
    // During the back-off callers get the failure at once, without a request.
    await expect(provider.getToken()).rejects.toMatchObject({ status: 503 });
    expect(endpoint.calls).toBe(1);
    clock.advanceSeconds(1);
    await expect(provider.getToken()).rejects.toMatchObject({ retryAfterSeconds: 2 });
    expect(endpoint.calls).toBe(2);
    clock.advanceSeconds(2);
    await expect(provider.getToken()).resolves.toMatchObject({ value: 'token-3' });
  });

  it('passes a rejected secret on as a 502 that tells the operator what to fix', async () => {
    const { provider, endpoint } = setUp();
    endpoint.failures.push(rejected);
    const error = await provider.getToken().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'token-request-rejected', detail: expect.stringContaining('API key or secret') });
    expect((error as TokenEndpointError).retryAfterSeconds).toBeUndefined();
  });

  it('keeps using a valid cached token while a background renewal fails', async () => {
    const { provider, endpoint, clock } = setUp(60);
    const old = await provider.getToken();
    clock.advanceSeconds(3600 - 50);
    endpoint.failures.push(unavailable);
    expect((await provider.getToken()).value).toBe(old.value);
    await settle();
    expect((await provider.getToken()).value).toBe(old.value);
    expect(endpoint.calls).toBe(2);
  });

  it('drops a token Fortellis rejected, but only while it is still the current one', async () => {
    const { provider, endpoint, events } = setUp();
    const first = await provider.getToken();
    await provider.invalidate(first.value);
    const second = await provider.getToken();
    expect(second.value).toBe('token-2');
    // A late failure report about the first token must not throw away the second.
    await provider.invalidate(first.value);
    expect((await provider.getToken()).value).toBe('token-2');
    expect(endpoint.calls).toBe(2);
    expect(events.filter((e) => e === 'invalidated')).toHaveLength(1);
  });

  it('reports hits, misses and renewals for metrics', async () => {
    const { provider, events } = setUp();
    await provider.getToken();
    await provider.getToken();
    expect(events).toEqual(['miss', 'renewed', 'hit']);
  });
});

describe('tokenCacheKey', () => {
  it('differs whenever the token URL, client id or scope differs', () => {
    const base = { tokenUrl: 'https://id.example/v1/token', clientId: 'key', scope: 'anonymous' };
    const keys = new Set([
      tokenCacheKey(base),
      tokenCacheKey({ ...base, tokenUrl: 'https://other.example/v1/token' }),
      tokenCacheKey({ ...base, clientId: 'key2' }),
      tokenCacheKey({ ...base, scope: 'openid' }),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe('MemoryTokenCache', () => {
  it('forgets tokens once they expire', async () => {
    const clock = new FakeClock();
    const cache = new MemoryTokenCache(clock);
    await cache.set('k', { value: 'v', obtainedAt: clock.now(), expiresAt: clock.now() + 1000, scope: 'anonymous' });
    expect(await cache.get('k')).toBeDefined();
    clock.advance(1000);
    expect(await cache.get('k')).toBeUndefined();
  });
});
