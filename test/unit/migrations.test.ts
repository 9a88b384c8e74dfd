import { Kysely, Migrator, SqliteDialect } from 'kysely';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from '../../src/db/schema';
import { migrateToLatest } from '../../src/db/database';
import { migrationProvider } from '../../src/db/migrations';

describe('migrations', () => {
  it('move each existing user’s Subscription-Id into the links table, keeping the user', async () => {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
    await new Migrator({ db, provider: migrationProvider }).migrateTo('001_users_and_sessions');
    const legacy = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await legacy
      .insertInto('users')
      .values({ id: 'u-1', username: 'old-timer', password_hash: 'h', subscription_id: 'legacy-sub', active: 1, created_at: 1000, updated_at: 1000 })
      .execute();

    await migrateToLatest(db);

    expect(await db.selectFrom('user_subscriptions').selectAll().execute()).toEqual([{ user_id: 'u-1', subscription_id: 'legacy-sub', org_name: null, linked_at: 1000 }]);
    expect(await db.selectFrom('users').select(['username', 'role']).execute()).toEqual([{ username: 'old-timer', role: 'user' }]);
    await db.destroy();
  });
});
