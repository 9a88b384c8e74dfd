import type { SessionData } from 'express-session';
import type { Kysely } from 'kysely';
import type { Database } from '../../../src/db/schema';
import type { SessionBackend } from '../../../src/session/session-backend';
import type { FakeClock } from '../fake-clock';

export interface SessionStoreFixture {
  store: SessionBackend;
  clock: FakeClock;
  /** The store's idle timeout. */
  ttlMs: number;
  close(): Promise<void>;
  /** Makes `userId` a user the backend knows (the database stores write sessions of existing users only). */
  addUser(userId: string): Promise<void>;
  /** Puts `raw` straight where the store keeps session `sid`, as a corrupt record would be. */
  plantRecord(sid: string, raw: string): Promise<void>;
  /** Whether the backend holds anything for session `sid`. */
  hasRecord(sid: string): Promise<boolean>;
}

/** The fixture's backend hooks for a database session store (SQLite or PostgreSQL). */
export function databaseStoreHooks(db: Kysely<Database>, clock: FakeClock): Pick<SessionStoreFixture, 'addUser' | 'plantRecord' | 'hasRecord'> {
  return {
    async addUser(userId) {
      await db.insertInto('users').values({ id: userId, username: userId, password_hash: 'x', created_at: clock.now(), updated_at: clock.now() }).execute();
    },
    async plantRecord(sid, raw) {
      await db.insertInto('sessions').values({ sid, user_id: null, data: raw, expires_at: clock.now() + 60_000, generation: null }).execute();
    },
    async hasRecord(sid) {
      return (await db.selectFrom('sessions').select('sid').where('sid', '=', sid).executeTakeFirst()) !== undefined;
    },
  };
}

function sessionFor(userId: string): SessionData {
  return { cookie: { originalMaxAge: null }, userId, username: userId, subscriptionId: 'test', csrfToken: 'c', signedInAt: 1 } as unknown as SessionData;
}

/** One behaviour for every session backend (SQLite, PostgreSQL, Redis), as oauth2-proxy tests its stores. */
export function describeSessionStoreContract(name: string, open: () => Promise<SessionStoreFixture>): void {
  describe(`session store on ${name}`, () => {
    let f: SessionStoreFixture;
    beforeEach(async () => {
      f = await open();
      for (const user of ['u1', 'alice', 'bob']) await f.addUser(user);
    });
    afterEach(async () => {
      // A failed beforeEach leaves nothing to close, and a closed fixture is not closed twice.
      await f?.close();
      f = undefined as never;
    });

    const get = (sid: string) => f.store.get(sid);
    const set = (sid: string, data: SessionData) => f.store.set(sid, data);
    const touch = (sid: string, data: SessionData) => f.store.touch(sid, data);
    const destroy = (sid: string) => f.store.destroy(sid);

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

    describe('peek, the read-only read of the API route', () => {
      it('gives the session get gives, its generation included', async () => {
        await set('sid-peek', sessionFor('u1'));
        await f.store.destroyUserSessions('u1'); // generation 1 from here on
        await set('sid-peek', sessionFor('u1'));
        const fresh = await get('sid-peek');
        expect(fresh).toMatchObject({ userId: 'u1', subscriptionId: 'test', generation: 1 });
        expect(await f.store.peek('sid-peek')).toEqual(fresh);
        expect(await f.store.peek('sid-peek')).toEqual(fresh);
      });

      it('sees a change, a destroy and the idle timeout as get does', async () => {
        await set('sid-peek-2', sessionFor('u1'));
        await f.store.peek('sid-peek-2');
        await set('sid-peek-2', { ...sessionFor('u1'), subscriptionId: 'other-dealer' } as SessionData);
        expect(await f.store.peek('sid-peek-2')).toMatchObject({ subscriptionId: 'other-dealer' });
        f.clock.advance(f.ttlMs);
        expect(await f.store.peek('sid-peek-2')).toBeFalsy();
        await set('sid-peek-3', sessionFor('u1'));
        await f.store.peek('sid-peek-3');
        await destroy('sid-peek-3');
        expect(await f.store.peek('sid-peek-3')).toBeFalsy();
      });

      it('is not changed by what the caller of get does to its session', async () => {
        await set('sid-peek-4', sessionFor('u1'));
        await f.store.peek('sid-peek-4');
        const mine = (await get('sid-peek-4'))!;
        (mine as { subscriptionId?: string }).subscriptionId = 'changed by a request';
        expect(await f.store.peek('sid-peek-4')).toMatchObject({ subscriptionId: 'test' });
      });

      it('finds an unreadable record no session, and deletes it', async () => {
        await f.plantRecord('sid-peek-corrupt', '{"unrelated": true}');
        await expect(f.store.peek('sid-peek-corrupt')).resolves.toBeFalsy();
        expect(await f.hasRecord('sid-peek-corrupt')).toBe(false);
      });
    });

    describe('an unreadable record', () => {
      const corrupt = {
        'not JSON': '{"e": 1, "s": {',
        'JSON but not an object': '"just a string"',
        'null': 'null',
        'an object that is no session': '{"unrelated": true}',
      };
      it.each(Object.entries(corrupt))('is no session (%s), and is deleted', async (_kind, raw) => {
        await f.plantRecord('sid-corrupt', raw);
        await expect(get('sid-corrupt')).resolves.toBeFalsy();
        expect(await f.hasRecord('sid-corrupt')).toBe(false);
      });
    });

    describe("ending a user's sessions wins against a write in flight", () => {
      it('a session loaded before the end and saved after it (a store switch) stays gone', async () => {
        await set('sid-switch', sessionFor('alice'));
        const loaded = (await get('sid-switch'))!;
        await f.store.destroyUserSessions('alice');
        await set('sid-switch', { ...loaded, subscriptionId: 'other-dealer' } as SessionData);
        expect(await get('sid-switch')).toBeFalsy();
        expect(await f.hasRecord('sid-switch')).toBe(false);
      });

      it('a touch of a session loaded before the end stays gone', async () => {
        await set('sid-touch', sessionFor('alice'));
        const loaded = (await get('sid-touch'))!;
        await f.store.destroyUserSessions('alice');
        f.clock.advance(f.ttlMs / 2);
        await touch('sid-touch', loaded);
        expect(await get('sid-touch')).toBeFalsy();
      });

      it('writes that race the end at the same moment leave no session behind', async () => {
        const sids = Array.from({ length: 10 }, (_, i) => `sid-race-${i}`);
        for (const sid of sids) await set(sid, sessionFor('alice'));
        const loaded = await Promise.all(sids.map((sid) => get(sid)));
        await Promise.all([
          ...sids.map((sid, i) => set(sid, { ...loaded[i]!, subscriptionId: 'other-dealer' } as SessionData)),
          f.store.destroyUserSessions('alice'),
          ...sids.map((sid, i) => set(sid, { ...loaded[i]!, subscriptionId: 'third-dealer' } as SessionData)),
        ]);
        for (const sid of sids) expect(await get(sid)).toBeFalsy();
      });

      it("a session signed in after the end works, and other users' sessions are untouched", async () => {
        await set('sid-bob', sessionFor('bob'));
        await f.store.destroyUserSessions('alice');
        await set('sid-again', sessionFor('alice'));
        const again = (await get('sid-again'))!;
        await set('sid-again', { ...again, subscriptionId: 'other-dealer' } as SessionData);
        expect(await get('sid-again')).toMatchObject({ userId: 'alice', subscriptionId: 'other-dealer' });
        const bob = (await get('sid-bob'))!;
        await set('sid-bob', { ...bob, subscriptionId: 'other-dealer' } as SessionData);
        expect(await get('sid-bob')).toMatchObject({ userId: 'bob', subscriptionId: 'other-dealer' });
      });
    });
  });
}
