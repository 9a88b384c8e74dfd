import { CompiledQuery, type Kysely, type SelectQueryBuilder } from 'kysely';
import { timeOrderedId } from '../lib/time-ordered-id';
import type { AccessLogTable, Database } from '../db/schema';
import type { AccessEntry, StoredAccessEntry } from './entry';
import type { BatchWriter, WriteStatement } from '../db/sqlite-write-thread';

/** What the admin page filters on; all optional, combined with AND. */
export interface AccessLogFilter {
  username?: string;
  subscriptionId?: string;
  /** An exact status (404) or a class (4 for 4xx). */
  status?: { exact: number } | { class: number };
  /** From this time (inclusive), ms. */
  from?: number;
  /** Before this time (exclusive), ms. */
  to?: number;
}

/** Where a page of newest-first entries continues: the last row's (at, id). */
export interface AccessLogCursor {
  at: number;
  id: string;
}

/**
 * Rows per INSERT at most: a power of two, well under SQLite's and PostgreSQL's limits on bound parameters
 * (10 per row).
 */
const INSERT_CHUNK = 256;

/** The columns in the order each row's parameters are bound (the order of `toRow`'s keys). */
const COLUMNS = ['id', 'at', 'user_id', 'username', 'subscription_id', 'method', 'path', 'status', 'request_id', 'duration_ms'] as const;

/** The access_log table: batched inserts, filtered reads newest first, pruning. */
export class AccessLogStore {
  /**
   * The INSERT's SQL per number of rows. Building a 200-row INSERT with Kysely costs about as much as
   * SQLite's work to store the rows; batches are cut into power-of-two chunks, so at most nine shapes are
   * ever built, each once, and their prepared statements are reused (src/db/database.ts).
   */
  private readonly insertSql = new Map<number, string>();

  /**
   * `writer`, when given, runs the inserts instead of `db` (SQLite: a worker thread with its own connection,
   * src/db/sqlite-write-thread.ts); reads and pruning always go through `db`.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly writer?: BatchWriter,
  ) {}

  /** Writes a batch: all of it or (an error) none of it. */
  async insert(entries: readonly AccessEntry[]): Promise<void> {
    const statements: WriteStatement[] = [];
    for (let i = 0; i < entries.length; ) {
      const size = largestPowerOfTwo(Math.min(entries.length - i, INSERT_CHUNK));
      statements.push(this.insertStatement(entries.slice(i, i + size).map(toRow)));
      i += size;
    }
    if (this.writer) return this.writer.write(statements);
    if (statements.length === 1) return this.run(this.db, statements[0]!);
    await this.db.transaction().execute(async (trx) => {
      for (const statement of statements) await this.run(trx, statement);
    });
  }

  private insertStatement(rows: AccessLogTable[]): WriteStatement {
    const parameters = rowParameters(rows);
    let sqlText = this.insertSql.get(rows.length);
    if (sqlText === undefined) {
      const compiled = this.db.insertInto('access_log').values(rows).compile();
      // Reused only if Kysely bound the parameters as they are bound here: row by row, in COLUMNS order.
      if (!sameValues(compiled.parameters, parameters)) return { sql: compiled.sql, parameters: [...compiled.parameters] };
      sqlText = compiled.sql;
      this.insertSql.set(rows.length, sqlText);
    }
    return { sql: sqlText, parameters };
  }

  private async run(db: Kysely<Database>, statement: WriteStatement): Promise<void> {
    await db.executeQuery(CompiledQuery.raw(statement.sql, statement.parameters));
  }

  /** Newest first, `limit` rows after `cursor` (keyset paging: stable while new rows arrive). */
  async page(filter: AccessLogFilter, limit: number, cursor?: AccessLogCursor): Promise<StoredAccessEntry[]> {
    let query = this.filtered(filter).selectAll();
    if (cursor) query = query.where((eb) => eb.or([eb('at', '<', cursor.at), eb.and([eb('at', '=', cursor.at), eb('id', '<', cursor.id)])]));
    const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(fromRow);
  }

  async count(filter: AccessLogFilter): Promise<number> {
    const row = await this.filtered(filter).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every matching entry, newest first, a chunk at a time (for exports of any size in bounded memory). */
  async *all(filter: AccessLogFilter, chunk = 1000): AsyncGenerator<StoredAccessEntry[]> {
    let cursor: AccessLogCursor | undefined;
    for (;;) {
      const rows = await this.page(filter, chunk, cursor);
      if (rows.length === 0) return;
      yield rows;
      if (rows.length < chunk) return;
      const last = rows[rows.length - 1]!;
      cursor = { at: last.at, id: last.id };
    }
  }

  /** Deletes entries older than `before` (ms); returns how many. */
  async deleteOlderThan(before: number): Promise<number> {
    const result = await this.db.deleteFrom('access_log').where('at', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private filtered(filter: AccessLogFilter): SelectQueryBuilder<Database, 'access_log', object> {
    let query = this.db.selectFrom('access_log');
    if (filter.username) query = query.where('username', '=', filter.username);
    if (filter.subscriptionId) query = query.where('subscription_id', '=', filter.subscriptionId);
    if (filter.status && 'exact' in filter.status) query = query.where('status', '=', filter.status.exact);
    if (filter.status && 'class' in filter.status) query = query.where('status', '>=', filter.status.class * 100).where('status', '<', filter.status.class * 100 + 100);
    if (filter.from !== undefined) query = query.where('at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('at', '<', filter.to);
    return query;
  }
}

/** The row for an entry: its id is time-ordered, so that new rows go to the end of the primary-key index. */
function toRow(e: AccessEntry): AccessLogTable {
  return {
    id: timeOrderedId(e.at),
    at: e.at,
    user_id: e.userId,
    username: e.username,
    subscription_id: e.subscriptionId,
    method: e.method,
    path: e.path,
    status: e.status,
    request_id: e.requestId,
    duration_ms: e.durationMs,
  };
}

/** The rows' values in one array, row by row in COLUMNS order (a loop: this runs for every logged call). */
function rowParameters(rows: readonly AccessLogTable[]): unknown[] {
  const parameters = new Array<unknown>(rows.length * COLUMNS.length);
  let i = 0;
  for (const row of rows) for (const column of COLUMNS) parameters[i++] = row[column];
  return parameters;
}

function largestPowerOfTwo(atMost: number): number {
  return 2 ** Math.floor(Math.log2(atMost));
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function fromRow(row: AccessLogTable): StoredAccessEntry {
  return {
    id: row.id,
    at: Number(row.at),
    userId: row.user_id,
    username: row.username,
    subscriptionId: row.subscription_id,
    method: row.method,
    path: row.path,
    status: Number(row.status),
    requestId: row.request_id,
    durationMs: Number(row.duration_ms),
  };
}
