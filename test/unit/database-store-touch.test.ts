import type { SessionData } from 'express-session';
import { sql } from 'kysely';
import { openDatabase, type OpenDatabase } from '../../src/db/database';
import { DatabaseSessionBackend } from '../../src/session/database-store';
import { ExpressSessionStore } from '../../src/session/express-session-store';
import { FakeClock } from '../support/fake-clock';

const TTL_MS = 30 * 60_000;
const TOUCH_INTERVAL_MS = 60_000;
const data = { cookie: { originalMaxAge: null }, userId: 'u1', username: 'u1', csrfToken: 'c', signedInAt: 1 } as unknown as SessionData;

const settle = (fn: (cb: (error?: unknown) => void) => void) => new Promise<unknown>((resolve) => fn((error) => resolve(error)));

describe('touching a database session while many requests end at once', () => {
  let database: OpenDatabase;
  let clock: FakeClock;
  let store: ExpressSessionStore;
  beforeEach(async () => {
    database = await openDatabase('sqlite::memory:');
    clock = new FakeClock();
    store = new ExpressSessionStore(new DatabaseSessionBackend({ db: database.db, clock, ttlMs: TTL_MS, touchIntervalMs: TOUCH_INTERVAL_MS }));
    await settle((cb) => store.set('sid', data, cb));
  });
  afterEach(() => database.close());

  it('tries again on the next request when the write failed', async () => {
    clock.advance(TOUCH_INTERVAL_MS);
    await sql`alter table sessions rename to sessions_away`.execute(database.db);
    expect(await settle((cb) => store.touch('sid', data, cb))).toBeDefined();
    await sql`alter table sessions_away rename to sessions`.execute(database.db);

    const writesBefore = store.writes;
    expect(await settle((cb) => store.touch('sid', data, cb))).toBeUndefined();
    expect(store.writes - writesBefore).toBe(1);
  });
});
