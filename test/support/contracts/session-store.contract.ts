import type { SessionData, Store } from 'express-session';
import type { FakeClock } from '../fake-clock';

export interface SessionStoreFixture {
  store: Store & { destroyUserSessions(userId: string): Promise<number>; writes: number };
  clock: FakeClock;
  /** The store's idle timeout. */
  ttlMs: number;
  close(): Promise<void>;
}

const call = <T>(fn: (cb: (error?: unknown, value?: T) => void) => void): Promise<T | undefined> =>
  new Promise((resolve, reject) => fn((error, value) => (error ? reject(error) : resolve(value))));

function sessionFor(userId: string): SessionData {
  return { cookie: { originalMaxAge: null }, userId, username: userId, subscriptionId: 'test', csrfToken: 'c', signedInAt: 1 } as unknown as SessionData;
}

/** One behaviour for every session store (SQLite, PostgreSQL, Redis), as oauth2-proxy tests its stores. */
export function describeSessionStoreContract(name: string, open: () => Promise<SessionStoreFixture>): void {
  describe(`session store on ${name}`, () => {
    let f: SessionStoreFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      // A failed beforeEach leaves nothing to close, and a closed fixture is not closed twice.
      await f?.close();
      f = undefined as never;
    });

    const get = (sid: string) => call<SessionData | null>((cb) => f.store.get(sid, cb));
    const set = (sid: string, data: SessionData) => call<void>((cb) => f.store.set(sid, data, cb));
    const touch = (sid: string, data: SessionData) => call<void>((cb) => f.store.touch!(sid, data, cb));
    const destroy = (sid: string) => call<void>((cb) => f.store.destroy(sid, cb));

    it('gives back what was stored', async () => {
      await set('sid-1', sessionFor('u1'));
      expect(await get('sid-1')).toMatchObject({ userId: 'u1', subscriptionId: 'test' });
    });

    it('answers nothing for an unknown session id', async () => {
      expect(await get('no-such-sid')).toBeFalsy();
    });

    it('forgets a session after the idle timeout', async () => {
      await set('sid-2', sessionFor('u1'));
      f.clock.advance(f.ttlMs - 1000);
      expect(await get('sid-2')).toBeTruthy();
      f.clock.advance(1000);
      expect(await get('sid-2')).toBeFalsy();
    });

    it('keeps a session alive when it is touched', async () => {
      await set('sid-3', sessionFor('u1'));
      f.clock.advance(f.ttlMs * 0.9);
      await touch('sid-3', sessionFor('u1'));
      f.clock.advance(f.ttlMs * 0.9);
      expect(await get('sid-3')).toBeTruthy();
    });

    it('does not write to the store for every touch of an unchanged session', async () => {
      await set('sid-4', sessionFor('u1'));
      const before = f.store.writes;
      for (let i = 0; i < 50; i += 1) {
        f.clock.advance(100);
        await touch('sid-4', sessionFor('u1'));
      }
      expect(f.store.writes - before).toBe(0);
    });

    it('writes once when the touch interval has passed, not once per request in flight', async () => {
      await set('sid-herd', sessionFor('u1'));
      f.clock.advance(f.ttlMs / 2);
      const before = f.store.writes;
      // Ten requests of the same session end before the first write has come back.
      await Promise.all(Array.from({ length: 10 }, () => touch('sid-herd', sessionFor('u1'))));
      expect(f.store.writes - before).toBe(1);
    });

    it('destroys a session', async () => {
      await set('sid-5', sessionFor('u1'));
      await destroy('sid-5');
      expect(await get('sid-5')).toBeFalsy();
    });

    it('ends every session of one user and no other', async () => {
      await set('a1', sessionFor('alice'));
      await set('a2', sessionFor('alice'));
      await set('b1', sessionFor('bob'));
      expect(await f.store.destroyUserSessions('alice')).toBe(2);
      expect(await get('a1')).toBeFalsy();
      expect(await get('a2')).toBeFalsy();
      expect(await get('b1')).toBeTruthy();
    });
  });
}
