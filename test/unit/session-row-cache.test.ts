import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { SessionData } from 'express-session';
import { openDatabase, type OpenDatabase } from '../../src/db/database';
import { DatabaseSessionBackend } from '../../src/session/database-store';
import { FakeClock } from '../support/fake-clock';

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

  it('sees at once a session that another process deleted', async () => {
    other.prepare('delete from sessions where sid = ?').run('sid');
    expect(await backend.get('sid')).toBeNull();
  });

  it('sees at once a session that another process changed', async () => {
    const row = other.prepare('select data from sessions where sid = ?').get('sid') as { data: string };
    other.prepare('update sessions set data = ? where sid = ?').run(JSON.stringify({ ...JSON.parse(row.data), subscriptionId: 'second' }), 'sid');
    expect(await backend.get('sid')).toMatchObject({ subscriptionId: 'second' });
  });

  it("sees at once a change committed by this process's write thread (another connection, in the same process)", async () => {
    await database.writeThread!.write([{ sql: 'delete from sessions where sid = ?', parameters: ['sid'] }]);
    expect(await backend.get('sid')).toBeNull();
  });

  it('sees a change this process made without the backend (a statement on the same connection)', async () => {
    await database.db.deleteFrom('sessions').where('sid', '=', 'sid').execute();
    expect(await backend.get('sid')).toBeNull();
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
