import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { SessionData } from 'express-session';
import { openDatabase, type OpenDatabase } from '../../src/db/database';
import { DatabaseSessionBackend } from '../../src/session/database-store';
import { FakeClock } from '../support/fake-clock';

/** The event loop's next turn: another connection's commits are seen from there on (SqliteChangeCounter). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const session = (subscriptionId: string) => ({ cookie: { originalMaxAge: null }, csrfToken: 'c', subscriptionId }) as unknown as SessionData;

describe('the SQLite session backend serving rows from memory', () => {
  let dir: string;
  let database: OpenDatabase;
  let other: BetterSqlite3.Database;
  let backend: DatabaseSessionBackend;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-row-cache-'));
    const file = path.join(dir, 'app.db');
    database = await openDatabase(`sqlite:${file}`);
    // Another process on the same file: the CLI ending sessions, a second instance signing out.
    other = new BetterSqlite3(file);
    backend = new DatabaseSessionBackend({ db: database.db, clock: new FakeClock(), ttlMs: 60_000, changeCounter: database.changeCounter });
    await backend.set('sid', session('first'));
    // Read twice: the second read is served from memory.
    await backend.get('sid');
    expect(await backend.get('sid')).toMatchObject({ subscriptionId: 'first' });
  });
  afterEach(async () => {
    other.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sees from the next turn of the event loop a session that another process deleted', async () => {
    other.prepare('delete from sessions where sid = ?').run('sid');
    await nextTurn();
    expect(await backend.get('sid')).toBeNull();
    expect(await backend.peek('sid')).toBeNull();
  });

  it('sees from the next turn of the event loop a session that another process changed', async () => {
    const row = other.prepare('select data from sessions where sid = ?').get('sid') as { data: string };
    other.prepare('update sessions set data = ? where sid = ?').run(JSON.stringify({ ...JSON.parse(row.data), subscriptionId: 'second' }), 'sid');
    await nextTurn();
    expect(await backend.get('sid')).toMatchObject({ subscriptionId: 'second' });
    expect(await backend.peek('sid')).toMatchObject({ subscriptionId: 'second' });
  });

  it("checks other connections' commits once per turn: within the turn of the commit its reads share one view", async () => {
    await nextTurn();
    // The turn's first read takes the view; another process deletes the session within the same turn.
    expect(await backend.peek('sid')).toMatchObject({ subscriptionId: 'first' });
    other.prepare('delete from sessions where sid = ?').run('sid');
    expect(await backend.peek('sid')).toMatchObject({ subscriptionId: 'first' });
    await nextTurn();
    expect(await backend.peek('sid')).toBeNull();
  });

  it("sees a change committed by this process's write thread (another connection, in the same process)", async () => {
    await database.writeThread!.write([{ sql: 'delete from sessions where sid = ?', parameters: ['sid'] }]);
    await nextTurn();
    expect(await backend.get('sid')).toBeNull();
  });

  it('sees at once, within the turn, a change this process made without the backend (a statement on the same connection)', async () => {
    await nextTurn();
    expect(await backend.peek('sid')).toMatchObject({ subscriptionId: 'first' });
    await database.db.deleteFrom('sessions').where('sid', '=', 'sid').execute();
    expect(await backend.peek('sid')).toBeNull();
    expect(await backend.get('sid')).toBeNull();
  });

  it('sees at once, within the turn, a change this process made in a statement that returns rows', async () => {
    await nextTurn();
    expect(await backend.peek('sid')).toMatchObject({ subscriptionId: 'first' });
    const deleted = await database.db.deleteFrom('sessions').where('sid', '=', 'sid').returning('sid').execute();
    expect(deleted).toEqual([{ sid: 'sid' }]);
    expect(await backend.peek('sid')).toBeNull();
  });

  it('peek hands out one frozen session while its row is in memory, and get a fresh one each time', async () => {
    const shared = (await backend.peek('sid'))!;
    expect(await backend.peek('sid')).toBe(shared);
    expect(Object.isFrozen(shared)).toBe(true);
    expect(Object.isFrozen(shared.cookie)).toBe(true);
    expect(() => {
      (shared as { subscriptionId?: string }).subscriptionId = 'changed';
    }).toThrow(TypeError);
    const fresh = (await backend.get('sid'))!;
    expect(fresh).not.toBe(shared);
    expect(fresh).toEqual(shared);
    expect(Object.isFrozen(fresh)).toBe(false);
  });

  it('never keeps a row read while a write of this process was on its way (a sign-out racing a call)', async () => {
    // The call's read and the sign-out's delete are both in flight; the read may answer first.
    const [seen] = await Promise.all([backend.get('sid'), backend.destroy('sid')]);
    expect(seen === null || seen.subscriptionId === 'first').toBe(true);
    expect(await backend.get('sid')).toBeNull();
  });

  it("never keeps a row read while a user's sessions were being ended", async () => {
    await database.db.insertInto('users').values({ id: 'u1', username: 'u1', password_hash: 'x', created_at: 0, updated_at: 0 }).execute();
    await backend.set('user-sid', { ...session('first'), userId: 'u1' } as SessionData);
    await backend.get('user-sid');
    await Promise.all([backend.get('user-sid'), backend.destroyUserSessions('u1'), backend.get('user-sid')]);
    expect(await backend.get('user-sid')).toBeNull();
  });

  it('hands out a fresh object each time (express-session changes the one it gets)', async () => {
    const first = (await backend.get('sid'))!;
    (first as { subscriptionId?: string }).subscriptionId = 'changed by a request';
    expect(await backend.get('sid')).toMatchObject({ subscriptionId: 'first' });
  });
});
