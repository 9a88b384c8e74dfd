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

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
