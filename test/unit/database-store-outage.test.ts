import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { SessionData } from 'express-session';
import { openDatabase, type OpenDatabase } from '../../src/db/database';
import { AppError } from '../../src/core/errors';
import { DatabaseSessionBackend } from '../../src/session/database-store';
import { ExpressSessionStore } from '../../src/session/express-session-store';
import { FakeClock } from '../support/fake-clock';

const data = { cookie: { originalMaxAge: null }, csrfToken: 'c' } as unknown as SessionData;

describe('a database session store while the database refuses writes', () => {
  let dir: string;
  let database: OpenDatabase;
  let holder: BetterSqlite3.Database;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-store-outage-'));
    const file = path.join(dir, 'app.db');
    database = await openDatabase(`sqlite:${file}`);
    holder = new BetterSqlite3(file);
  });
  afterEach(async () => {
    holder.close();
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("passes on the database's own outage error, so the log line says what the database answered", async () => {
    holder.exec('BEGIN IMMEDIATE');
    const store = new ExpressSessionStore(new DatabaseSessionBackend({ db: database.db, clock: new FakeClock(), ttlMs: 60_000 }));
    const error = await new Promise<unknown>((resolve) => store.set('sid', data, resolve));
    holder.exec('COMMIT');

    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 503, code: 'store-unavailable', extensions: { store: 'database' } });
    expect((error as AppError).logDetail).toMatch(/^database failed: database is locked/);
  });
});
