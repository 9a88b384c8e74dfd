import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  sql,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import { DatabaseError } from 'pg';
import { openDatabase } from '../../src/db/database';
import { withOutageHandling } from '../../src/db/outage-aware-dialect';
import { isPostgresOutage, isSqliteBusy, isSqliteOutage } from '../../src/db/outages';
import { AppError } from '../../src/core/errors';

const sqliteError = (code: string) => Object.assign(new Error(`sqlite said ${code}`), { code });
const postgresError = (code: string) => Object.assign(new DatabaseError('server said no', 0, 'error'), { code });

describe('which database errors are outages', () => {
  it('reads SQLite result codes, extended ones included', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_CANTOPEN']) {
      expect([code, isSqliteOutage(sqliteError(code))]).toEqual([code, true]);
    }
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_FOREIGNKEY', 'SQLITE_ERROR', 'SQLITE_MISMATCH']) {
      expect([code, isSqliteOutage(sqliteError(code))]).toEqual([code, false]);
    }
    expect(isSqliteBusy(sqliteError('SQLITE_BUSY_RECOVERY'))).toBe(true);
    expect(isSqliteBusy(sqliteError('SQLITE_READONLY'))).toBe(false);
    expect(isSqliteOutage(new TypeError('not a database error'))).toBe(false);
  });

  it('reads PostgreSQL SQLSTATE classes; anything else pg throws is a lost connection, except programming errors', () => {
    for (const code of ['57P01', '57P03', '08006', '53100', '53300', '58030', '25006']) expect([code, isPostgresOutage(postgresError(code), DatabaseError)]).toEqual([code, true]);
    for (const code of ['23505', '23503', '42P01', '42601', '40001']) expect([code, isPostgresOutage(postgresError(code), DatabaseError)]).toEqual([code, false]);
    expect(isPostgresOutage(new Error('Connection terminated unexpectedly'), DatabaseError)).toBe(true);
    expect(isPostgresOutage(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), DatabaseError)).toBe(true);
    expect(isPostgresOutage(new TypeError('Client was passed a null or undefined query'), DatabaseError)).toBe(false);
    const aborted = Object.assign(new Error('Transaction was rolled back instead of committed'), { [Symbol.for('kysely.AbortedTransactionError')]: true });
    expect(isPostgresOutage(aborted, DatabaseError)).toBe(false);
  });
});

/** A driver whose one connection fails with the errors it is given, one per attempt, then succeeds. */
class ScriptedDriver implements Driver {
  attempts = 0;
  private failures: unknown[] = [];
  private readonly connection: DatabaseConnection = {
    executeQuery: async <R>(): Promise<QueryResult<R>> => {
      this.attempts += 1;
      const failure = this.failures.shift();
      if (failure) throw failure;
      return { rows: [] };
    },
    // eslint-disable-next-line require-yield
    streamQuery: async function* () {
      throw new Error('not used');
    },
  };

  failNext(...failures: unknown[]): void {
    this.failures = failures;
    this.attempts = 0;
  }

  async init() {}
  async acquireConnection() {
    return this.connection;
  }
  async beginTransaction() {}
  async commitTransaction() {}
  async rollbackTransaction() {}
  async releaseConnection() {}
  async destroy() {}
}

describe('the outage-aware driver', () => {
  let now = 0;
  const driver = new ScriptedDriver();
  const sqliteLike: Dialect = {
    createAdapter: () => new SqliteAdapter(),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createDriver: () => driver,
  };
  const db = new Kysely<unknown>({
    dialect: withOutageHandling(sqliteLike, { isOutage: isSqliteOutage, isBusy: isSqliteBusy, busyRetryDelaysMs: [1, 1, 1], busyFailFastMs: 1000, now: () => now }),
  });
  const statement = () => sql`delete from sessions where sid = ''`.execute(db);
  const busy = sqliteError('SQLITE_BUSY');

  it('rides out a lock released between attempts', async () => {
    driver.failNext(busy, busy);
    await expect(statement()).resolves.toBeDefined();
    expect(driver.attempts).toBe(3);
  });

  it('gives up after a bounded number of retries with a 503, then fails busy statements at once for a while', async () => {
    driver.failNext(busy, busy, busy, busy, busy, busy);
    await expect(statement()).rejects.toMatchObject({ status: 503, code: 'store-unavailable', extensions: { store: 'database' }, cause: busy });
    expect(driver.attempts).toBe(4);

    driver.failNext(busy, busy);
    await expect(statement()).rejects.toBeInstanceOf(AppError);
    expect(driver.attempts).toBe(1);
    // A statement that meets no lock is not held back.
    driver.failNext();
    await expect(statement()).resolves.toBeDefined();

    now += 1000;
    driver.failNext(busy);
    await expect(statement()).resolves.toBeDefined();
    expect(driver.attempts).toBe(2);
  });

  it('leaves errors that are not outages as they are (a bug stays a 500)', async () => {
    const constraint = sqliteError('SQLITE_CONSTRAINT_UNIQUE');
    driver.failNext(constraint);
    await expect(statement()).rejects.toBe(constraint);
    expect(driver.attempts).toBe(1);
  });
});

describe('a real SQLite file locked by another connection', () => {
  it('is a 503 store-unavailable error caused by SQLITE_BUSY, and a constraint violation is not', async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-outage-'));
    const file = path.join(directory, 'app.db');
    const database = await openDatabase(`sqlite:${file}`);
    const holder = new BetterSqlite3(file);
    try {
      const orphanLink = () => database.db.insertInto('user_subscriptions').values({ user_id: 'nobody', subscription_id: 'test', org_name: null, linked_at: 0 }).execute();
      await expect(orphanLink()).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });

      holder.exec('BEGIN IMMEDIATE');
      const write = database.db.deleteFrom('sessions').where('sid', '=', 'x').execute();
      await expect(write).rejects.toMatchObject({ status: 503, cause: { code: 'SQLITE_BUSY' } });
      // Reads go on: WAL lets them past the writer.
      await expect(database.db.selectFrom('users').select('id').execute()).resolves.toEqual([]);
      holder.exec('ROLLBACK');
      await expect(database.db.deleteFrom('sessions').where('sid', '=', 'x').execute()).resolves.toBeDefined();
    } finally {
      holder.close();
      await database.close();
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });
});
