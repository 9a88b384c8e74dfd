import { randomUUID } from 'node:crypto';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { AccessLogTable, Database } from '../db/schema';
import type { AccessEntry, StoredAccessEntry } from './entry';

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

/** Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters (10 per row). */
const INSERT_CHUNK = 500;

/** The access_log table: batched inserts, filtered reads newest first, pruning. */
export class AccessLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(entries: readonly AccessEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += INSERT_CHUNK) {
      const rows = entries.slice(i, i + INSERT_CHUNK).map((e) => ({
        id: randomUUID(),
        at: e.at,
        user_id: e.userId,
        username: e.username,
        subscription_id: e.subscriptionId,
        method: e.method,
        path: e.path,
        status: e.status,
        request_id: e.requestId,
        duration_ms: e.durationMs,
      }));
      await this.db.insertInto('access_log').values(rows).execute();
    }
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
