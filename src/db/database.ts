import fs from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, sql, SqliteDialect, type Dialect, type SqliteDatabase } from 'kysely';
import type { Database } from './schema';
import { migrationProvider } from './migrations';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface OpenDatabase {
  db: Kysely<Database>;
  kind: DatabaseKind;
  close(): Promise<void>;
}

/** `sqlite:./data/app.db`, `sqlite:/abs/file.db` or `sqlite::memory:` → a file name for better-sqlite3. */
export function sqliteFilename(url: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/, '');
  return rest === ':memory:' || rest === '' ? ':memory:' : rest;
}

function sqliteDialect(url: string): Dialect {
  // Loaded here so that a PostgreSQL deployment never needs the native SQLite module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const BetterSqlite3 = require('better-sqlite3') as typeof import('better-sqlite3');
  const filename = sqliteFilename(url);
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  const database = new BetterSqlite3(filename);
  // WAL lets readers and the writer work at once; busy_timeout rides out a second process writing.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  return new SqliteDialect({ database: withStatementCache(database) });
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query afresh; SQLite's prepare is a good part of a session lookup's cost, and the
 * app runs the same few statements on every request. Prepared statements are kept and reused (SQLite
 * re-prepares them itself if the schema changes). Safe because the app never streams a query: a statement
 * is done with before the next one uses it.
 */
export function withStatementCache(database: import('better-sqlite3').Database): SqliteDatabase {
  const statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>();
  return {
    close: () => database.close(),
    prepare(query: string) {
      let statement = statements.get(query);
      if (!statement) {
        statement = database.prepare(query);
        if (statements.size < STATEMENT_CACHE_SIZE) statements.set(query, statement);
      }
      return statement;
    },
  };
}

function postgresDialect(url: string): Dialect {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PostgresDialect } = require('kysely') as typeof import('kysely');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Pool } = require('pg') as { Pool: new (options: object) => unknown };
  return new PostgresDialect({ pool: new Pool({ connectionString: url, max: 10 }) as never });
}

/** Opens the database named by DATABASE_URL and brings its schema up to date. */
export async function openDatabase(url: string): Promise<OpenDatabase> {
  const kind: DatabaseKind = url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  const db = new Kysely<Database>({ dialect: kind === 'sqlite' ? sqliteDialect(url) : postgresDialect(url) });
  await migrateToLatest(db, kind);
  return { db, kind, close: () => db.destroy() };
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
