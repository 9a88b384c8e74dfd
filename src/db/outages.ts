/**
 * Which database errors mean "the database is away or refuses work right now" (answer 503, try again later)
 * rather than "this query is wrong" (a bug: 500). Decided by the drivers' parsed fields (SQLite result
 * codes, PostgreSQL SQLSTATE classes), never by the words of a message.
 */

/** SQLite primary result codes of a database that cannot do the work now (https://sqlite.org/rescode.html). */
const SQLITE_OUTAGE_CODES: ReadonlySet<string> = new Set([
  'SQLITE_BUSY', // another connection holds the lock
  'SQLITE_LOCKED',
  'SQLITE_READONLY', // read-only file or mount, PRAGMA query_only
  'SQLITE_FULL', // disk full
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
  'SQLITE_NOMEM',
]);

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** `SQLITE_BUSY_SNAPSHOT` → `SQLITE_BUSY`: extended codes name their primary code first. */
function primarySqliteCode(code: string): string {
  return code.split('_', 2).join('_');
}

/** SQLITE_BUSY (any extended form): another connection holds the lock, so waiting may help. */
export function isSqliteBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && primarySqliteCode(code) === 'SQLITE_BUSY';
}

/** A SQLite error that says the database cannot work now (lock, read-only, disk full, I/O). */
export function isSqliteOutage(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && SQLITE_OUTAGE_CODES.has(primarySqliteCode(code));
}

/**
 * SQLSTATE classes of a server that cannot work now (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * 08 connection exception, 53 insufficient resources (disk full, too many connections), 57 operator
 * intervention (admin shutdown: pg_terminate_backend, restart, failover; statement timeout), 58 system error.
 */
const POSTGRES_OUTAGE_CLASSES: ReadonlySet<string> = new Set(['08', '53', '57', '58']);
/** read_only_sql_transaction: a read-only replica, or default_transaction_read_only. */
const POSTGRES_READ_ONLY = '25006';

const KYSELY_ABORTED_TRANSACTION = Symbol.for('kysely.AbortedTransactionError');

/**
 * A PostgreSQL error that says the server is away or refuses work. Errors the server sent carry a SQLSTATE
 * (`DatabaseError`) and are judged by its class. Anything else `pg` throws from a query is about the
 * connection itself (terminated, not queryable, a socket error), except programming errors (TypeError,
 * RangeError) and Kysely's "the transaction was rolled back" report.
 */
export function isPostgresOutage(error: unknown, DatabaseError: abstract new (...args: never[]) => Error): boolean {
  if (error instanceof DatabaseError) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && (POSTGRES_OUTAGE_CLASSES.has(code.slice(0, 2)) || code === POSTGRES_READ_ONLY);
  }
  if (!(error instanceof Error)) return false;
  if (error instanceof TypeError || error instanceof RangeError) return false;
  return !(KYSELY_ABORTED_TRANSACTION in error);
}
