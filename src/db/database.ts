import fs from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, sql, SqliteDialect, type Dialect, type SqliteDatabase } from 'kysely';
import type { Database } from './schema';
import { migrationProvider } from './migrations';
import { withOutageHandling } from './outage-aware-dialect';
import { isPostgresOutage, isSqliteBusy, isSqliteOutage } from './outages';
import { resilientPool } from './postgres-pool';
import { SqliteChangeCounter } from './sqlite-change-counter';
import { SqliteWriteThread } from './sqlite-write-thread';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  kind: DatabaseKind;
  /**
   * Resolves when the database accepts a write (readiness): a write that changes nothing, in a transaction
   * that is rolled back, so probing costs no growth. Rejects when it is away, read-only or locked.
   */
  checkWritable(): Promise<void>;
  /**
   * SQLite only: a value that moves whenever the database may have changed: by this connection (at once) or
   * by another (another process, the CLI, the write thread: from the next turn of the event loop on). The
   * session backend serves rows from memory while it stands still. See SqliteChangeCounter.
   */
  changeCounter?: () => string;
  /**
   * SQLite in a file only: a worker thread with its own connection, for bulk writes off the event loop (the
   * access log's batches). Closed by close(), after the batches in flight.
   */
  writeThread?: SqliteWriteThread;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /**
   * A PostgreSQL connection was lost outside a query's own answer, mostly while idle in the pool: the server
   * ended it (restart, failover, pg_terminate_backend, an idle reaper). Called once per connection. The pool
   * drops it and opens a new one when needed; this is for counting and logging (unlistened, such an error
   * would end the process). Queries that fail reject with storeUnavailable('database') instead.
   */
  onConnectionError?(error: unknown): void;
}

/** The name the app's PostgreSQL connections carry in pg_stat_activity, unless DATABASE_URL sets `application_name`. */
export const POSTGRES_APPLICATION_NAME = 'fortellis-bff';
/** A pool that cannot open a connection in this time answers 503 rather than letting requests wait without end. */
const POSTGRES_CONNECT_TIMEOUT_MS = 5000;
/**
 * SQLite's busy handler sleeps on the event loop: kept to ~2 ms, the longer waits for another process's lock
 * are asynchronous retries (outage-aware-dialect.ts).
 */
const SQLITE_BUSY_TIMEOUT_MS = 2;

/** `sqlite:./data/app.db`, `sqlite:/abs/file.db` or `sqlite::memory:` → a file name for better-sqlite3. */
export function sqliteFilename(url: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  return rest === ':memory:' || rest === '' ? ':memory:' : rest;
}

function sqliteDialect(url: string): { dialect: Dialect; changeCounter: () => string; filename: string } {
  // Loaded here so that a PostgreSQL deployment never needs the native SQLite module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const BetterSqlite3 = require('better-sqlite3') as typeof import('better-sqlite3');
  const filename = sqliteFilename(url);
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  const database = new BetterSqlite3(filename);
  // WAL lets readers and the writer work at once; a second process writing is waited for asynchronously.
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  const changes = new SqliteChangeCounter(database);
  const dialect = withOutageHandling(new SqliteDialect({ database: withStatementCache(database, () => changes.countWrite()) }), {
    isOutage: isSqliteOutage,
    isBusy: isSqliteBusy,
    beginSql: 'begin immediate',
  });
  return {
    dialect,
    changeCounter: () => changes.read(),
    filename,
  };
}

const STATEMENT_CACHE_SIZE = 256;

type SqliteStatement = ReturnType<SqliteDatabase['prepare']>;

/**
 * Kysely prepares every query afresh; SQLite's prepare is a good part of a session lookup's cost, and the
 * app runs the same few statements on every request. Prepared statements are kept and reused (SQLite
 * re-prepares them itself if the schema changes). Safe because the app never streams a query: a statement
 * is done with before the next one uses it.
 *
 * `onWrite`, when given, is called after every run of a statement that may write (better-sqlite3's
 * `readonly` is false: INSERT, UPDATE, DELETE, DDL, with or without RETURNING), failed runs included.
 */
export function withStatementCache(database: import('better-sqlite3').Database, onWrite?: () => void): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(query: string) {
      let statement = statements.get(query);
      if (!statement) {
        const prepared = database.prepare(query);
        statement = onWrite && !prepared.readonly ? countingWrites(prepared, onWrite) : prepared;
        if (statements.size < STATEMENT_CACHE_SIZE) statements.set(query, statement);
      }
      return statement;
    },
  };
}

/** `statement`, calling `onWrite` after each of its runs (Kysely runs a statement with one of these three). */
function countingWrites(statement: import('better-sqlite3').Statement, onWrite: () => void): SqliteStatement {
  const counted = <T>(run: () => T): T => {
    try {
      return run();
    } finally {
      onWrite();
    }
  };
  return {
    reader: statement.reader,
    all: (parameters) => counted(() => statement.all(parameters)),
    run: (parameters) => counted(() => statement.run(parameters)),
    // Kysely streams only SELECTs (never wrapped); a write run this way is counted when asked for and when done.
    iterate: (parameters) => counted(() => iterateCounted(statement.iterate(parameters), onWrite)),
  };
}

function* iterateCounted<T>(rows: IterableIterator<T>, onWrite: () => void): IterableIterator<T> {
  try {
    yield* rows;
  } finally {
    onWrite();
  }
}

function postgresDialect(url: string, options: DatabaseOptions): Dialect {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PostgresDialect } = require('kysely') as typeof import('kysely');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const isOutage = (error: unknown) => isPostgresOutage(error, pg.DatabaseError);
  // application_name from the URL wins (pg parses the connection string over these options).
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    application_name: POSTGRES_APPLICATION_NAME,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  return withOutageHandling(new PostgresDialect({ pool: resilientPool(pool, { isOutage, onConnectionError: options.onConnectionError }) }), { isOutage });
}

/** Opens the database named by DATABASE_URL and brings its schema up to date. */
export async function openDatabase(url: string, options: DatabaseOptions = {}): Promise<OpenDatabase> {
  const kind: DatabaseKind = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const sqlite = kind === 'sqlite' ? sqliteDialect(url) : undefined;
  const db = new Kysely<Database>({ dialect: sqlite ? sqlite.dialect : postgresDialect(url, options) });
  await migrateToLatest(db, kind);
  // An in-memory database is this connection's alone: no other connection, no thread, can share it.
  const writeThread = sqlite && sqlite.filename !== ':memory:' ? new SqliteWriteThread({ filename: sqlite.filename }) : undefined;
  return {
    db,
    kind,
    checkWritable: () => checkWritable(db),
    ...(sqlite ? { changeCounter: sqlite.changeCounter } : {}),
    ...(writeThread ? { writeThread } : {}),
    async close() {
      await writeThread?.close();
      await db.destroy();
    },
  };
}

/**
 * A delete of no row (sids are never empty) is still a write: PostgreSQL refuses it in a read-only
 * transaction, SQLite on a read-only file or under query_only, and on SQLite the transaction's BEGIN
 * IMMEDIATE needs the write lock. Rolled back, so nothing is written and nothing grows.
 */
async function checkWritable(db: Kysely<Database>): Promise<void> {
  const trx = await db.startTransaction().execute();
  try {
    await trx.deleteFrom('sessions').where('sid', '=', '').execute();
  } finally {
    await trx.rollback().execute();
  }
}

/**
 * Runs pending migrations. Kysely's migrator takes a lock (an advisory lock on PostgreSQL), so several
 * instances starting at once apply each migration exactly once.
 */
export async function migrateToLatest(db: Kysely<Database>, kind: DatabaseKind = 'sqlite'): Promise<void> {
  // On PostgreSQL the migrator looks for its own tables in every schema unless told which one: another
  // schema's kysely_migration would make it skip creating the tables in ours. Name the current one.
  const migrationTableSchema =
    kind === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db, provider: migrationProvider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
