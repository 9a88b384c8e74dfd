import type { AccessToken } from '../../../src/fortellis/token-client';
import type { TokenCache } from '../../../src/fortellis/token-provider';
import type { FakeClock } from '../fake-clock';

export interface TokenCacheFixture {
  cache: TokenCache;
  clock: FakeClock;
  close(): Promise<void>;
}

function token(clock: FakeClock, value: string, lifetimeMs = 3600_000): AccessToken {
  return { value, obtainedAt: clock.now(), expiresAt: clock.now() + lifetimeMs, scope: 'anonymous' };
}

/** One behaviour for every token cache backend (memory, Redis). */
export function describeTokenCacheContract(name: string, open: () => Promise<TokenCacheFixture>): void {
  describe(`token cache on ${name}`, () => {
    let f: TokenCacheFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      // A failed beforeEach leaves nothing to close, and a closed fixture is not closed twice.
      await f?.close();
      f = undefined as never;
    });

    it('gives back a stored token until it expires', async () => {
      const stored = token(f.clock, 'tok-1', 60_000);
      await f.cache.set('key', stored);
      expect(await f.cache.get('key')).toEqual(stored);
      f.clock.advance(60_000);
      expect(await f.cache.get('key')).toBeUndefined();
    });

    it('keeps tokens of different keys apart', async () => {
      await f.cache.set('config-a', token(f.clock, 'tok-a'));
      await f.cache.set('config-b', token(f.clock, 'tok-b'));
      expect((await f.cache.get('config-a'))?.value).toBe('tok-a');
      expect((await f.cache.get('config-b'))?.value).toBe('tok-b');
      expect(await f.cache.get('config-c')).toBeUndefined();
    });

    it('deletes a token only while it is still the stored one', async () => {
      await f.cache.set('key', token(f.clock, 'old'));
      await f.cache.set('key', token(f.clock, 'new'));
      expect(await f.cache.deleteIf('key', 'old')).toBe(false);
      expect((await f.cache.get('key'))?.value).toBe('new');
      expect(await f.cache.deleteIf('key', 'new')).toBe(true);
      expect(await f.cache.get('key')).toBeUndefined();
    });

    it('replaces a token with a newer one', async () => {
      await f.cache.set('key', token(f.clock, 'first'));
      await f.cache.set('key', token(f.clock, 'second'));
      expect((await f.cache.get('key'))?.value).toBe('second');
    });
  });
}
