import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Times are milliseconds since the epoch in BIGINT columns (PostgreSQL hands
 * BIGINT back as a string, so repositories convert with Number()); flags are 0/1 integers, which both
 * SQLite and PostgreSQL store the same way.
 */
export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  subscription_id: string;
  active: Generated<number>;
  created_at: number | string;
  updated_at: number | string;
}

export interface SessionsTable {
  sid: string;
  user_id: string | null;
  data: string;
  expires_at: number | string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
}
