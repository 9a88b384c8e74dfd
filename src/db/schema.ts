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
  role: Generated<string>;
  active: Generated<number>;
  // Also `session_generation` (migration 003): bumped when the user's sessions are ended. Only the session
  // store reads and writes it, in raw SQL (src/session/database-store.ts), so the users repository's row
  // types need not carry it.
  created_at: number | string;
  updated_at: number | string;
}

export interface SessionsTable {
  sid: string;
  user_id: string | null;
  data: string;
  expires_at: number | string;
  /** The user's session generation when the session was created (null for a session without a user). */
  generation: number | null;
}

export interface UserSubscriptionsTable {
  user_id: string;
  subscription_id: string;
  /** The dealer's name when the link was made (Fortellis' answer then), for pages that should not call out. */
  org_name: string | null;
  linked_at: number | string;
}

export interface AuditLogTable {
  id: string;
  at: number | string;
  actor_id: string | null;
  actor_username: string;
  action: string;
  target: string | null;
  /** JSON with client-safe details (never a password). */
  detail: string | null;
}

export interface MfaFactorsTable {
  id: string;
  user_id: string;
  kind: 'totp' | 'passkey';
  label: string;
  /** TOTP only: the secret, encrypted with MFA_ENCRYPTION_KEY (never stored or shown in the clear). */
  secret: string | null;
  last_time_step: number | string | null;
  credential_id: string | null;
  public_key: string | null;
  sign_count: number | string | null;
  transports: string | null;
  created_at: number | string;
  last_used_at: number | string | null;
}

export interface MfaRecoveryCodesTable {
  user_id: string;
  /** SHA-256 of the code (hex): codes are long random strings, so a fast hash is enough. */
  code_hash: string;
  created_at: number | string;
}

export interface SettingsTable {
  name: string;
  /** JSON. */
  value: string;
  updated_at: number | string;
}

export interface AccessLogTable {
  id: string;
  at: number | string;
  user_id: string | null;
  username: string | null;
  subscription_id: string | null;
  method: string;
  /** The API path below /api/fortellis, without its query string. */
  path: string;
  status: number;
  request_id: string | null;
  duration_ms: number;
}

export interface Database {
  mfa_factors: MfaFactorsTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  settings: SettingsTable;
  access_log: AccessLogTable;
  users: UsersTable;
  user_subscriptions: UserSubscriptionsTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
}
