import { type Kysely, type Migration, type MigrationProvider } from 'kysely';

/**
 * Migrations live in code (not files found at run time) so that the same list runs from ts-jest, from
 * dist/ and in a container. Append new ones; never edit one that has shipped.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run against the schema as it was then */
const migrations: Record<string, Migration> = {
  '001_users_and_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('username', 'varchar(254)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('subscription_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('sid', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_expires_at').on('sessions').column('expires_at').execute();
      await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('users').execute();
    },
  },
};

migrations['002_roles_subscription_links_audit'] = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('users').addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('user')).execute();

    // A user may work for several dealers: their subscriptions move to a table of their own.
    await db.schema
      .createTable('user_subscriptions')
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('subscription_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('org_name', 'varchar(255)')
      .addColumn('linked_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('user_subscriptions_pk', ['user_id', 'subscription_id'])
      .execute();
    await db.schema.createIndex('user_subscriptions_subscription').on('user_subscriptions').column('subscription_id').execute();
    await db
      .insertInto('user_subscriptions')
      .columns(['user_id', 'subscription_id', 'linked_at'])
      .expression((eb) => eb.selectFrom('users').select(['id', 'subscription_id', 'created_at']))
      .execute();
    await db.schema.alterTable('users').dropColumn('subscription_id').execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor_id', 'varchar(36)')
      .addColumn('actor_username', 'varchar(254)', (c) => c.notNull())
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('target', 'varchar(254)')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('audit_log').execute();
    await db.schema.alterTable('users').addColumn('subscription_id', 'varchar(128)', (c) => c.notNull().defaultTo('')).execute();
    await db.schema.dropTable('user_subscriptions').execute();
    await db.schema.alterTable('users').dropColumn('role').execute();
  },
};

// Ending a user's sessions must win every race with a session write in flight (SECURITY.md, "Ending a
// user's sessions"): each user has a session generation, bumped when their sessions end, and each session
// row keeps the generation it was created under; a write under an older generation is refused.
migrations['003_session_generations'] = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('users').addColumn('session_generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('sessions').addColumn('generation', 'integer').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('sessions').dropColumn('generation').execute();
    await db.schema.alterTable('users').dropColumn('session_generation').execute();
  },
};

// Multi-factor sign-in (issue 16): second factors, single-use recovery codes, app-wide settings (the MFA
// policy), and the access log of proxied calls (FTC Safeguards Rule, 16 CFR 314.4(c)(5) and (c)(8)).
migrations['004_mfa_settings_access_log'] = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('mfa_factors')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('label', 'varchar(64)', (c) => c.notNull())
      // TOTP: the secret, encrypted (AES-256-GCM, src/auth/mfa/secret-box.ts); null for a passkey.
      .addColumn('secret', 'text')
      // TOTP: the last time step accepted, so a code cannot be used twice (replay).
      .addColumn('last_time_step', 'bigint')
      // Passkey: the credential id (base64url), its COSE public key (base64url), signature counter, transports.
      .addColumn('credential_id', 'varchar(1024)', (c) => c.unique())
      .addColumn('public_key', 'text')
      .addColumn('sign_count', 'bigint')
      .addColumn('transports', 'varchar(255)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('mfa_factors_user').on('mfa_factors').column('user_id').execute();

    await db.schema
      .createTable('mfa_recovery_codes')
      .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('mfa_recovery_codes_pk', ['user_id', 'code_hash'])
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('access_log')
      .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('user_id', 'varchar(36)')
      .addColumn('username', 'varchar(254)')
      .addColumn('subscription_id', 'varchar(128)')
      .addColumn('method', 'varchar(16)', (c) => c.notNull())
      .addColumn('path', 'varchar(2048)', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('request_id', 'varchar(128)')
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('access_log_at').on('access_log').columns(['at', 'id']).execute();
    await db.schema.createIndex('access_log_username').on('access_log').columns(['username', 'at']).execute();
    await db.schema.createIndex('access_log_subscription').on('access_log').columns(['subscription_id', 'at']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropTable('access_log').execute();
    await db.schema.dropTable('settings').execute();
    await db.schema.dropTable('mfa_recovery_codes').execute();
    await db.schema.dropTable('mfa_factors').execute();
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
