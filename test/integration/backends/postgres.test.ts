import { sql } from 'kysely';
import { UsersRepository } from '../../../src/auth/users';
import { openDatabase } from '../../../src/db/database';
import { migrationProvider } from '../../../src/db/migrations';
import { DatabaseSessionBackend } from '../../../src/session/database-store';
import { FakeClock } from '../../support/fake-clock';
import { databaseStoreHooks, describeSessionStoreContract } from '../../support/contracts/session-store.contract';
import { describeUsersRepositoryContract } from '../../support/contracts/users-repository.contract';
import { describeWithPostgres, postgresSchemaForTest } from '../../support/services';

describeWithPostgres('PostgreSQL backends', () => {
  describeUsersRepositoryContract('PostgreSQL', async () => {
    const clock = new FakeClock();
    const schema = await postgresSchemaForTest();
    const database = await openDatabase(schema.url);
    return {
      users: new UsersRepository(database.db, clock),
      clock,
      async close() {
        await database.close();
        await schema.drop();
      },
    };
  });

  describeSessionStoreContract('PostgreSQL', async () => {
    const clock = new FakeClock();
    const ttlMs = 30 * 60_000;
    const schema = await postgresSchemaForTest();
    const database = await openDatabase(schema.url);
    return {
      store: new DatabaseSessionBackend({ db: database.db, clock, ttlMs }),
      clock,
      ttlMs,
      ...databaseStoreHooks(database.db, clock),
      async close() {
        await database.close();
        await schema.drop();
      },
    };
  });

  it('migrates its own schema even when another schema of the database already has the migration tables', async () => {
    const other = await postgresSchemaForTest();
    const mine = await postgresSchemaForTest();
    try {
      await (await openDatabase(other.url)).close();
      const database = await openDatabase(mine.url);
      const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = ${mine.schema} order by 1`.execute(database.db);
      expect(tables.rows.map((r) => r.name)).toEqual(expect.arrayContaining(['kysely_migration', 'kysely_migration_lock', 'users', 'user_subscriptions']));
      await database.close();
    } finally {
      await other.drop();
      await mine.drop();
    }
  });

  it('applies each migration once when several instances start at the same moment', async () => {
    const schema = await postgresSchemaForTest();
    const instances = await Promise.all(Array.from({ length: 5 }, () => openDatabase(schema.url)));
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(instances[0]!.db);
    expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(await migrationProvider.getMigrations()).sort());
    await Promise.all(instances.map((i) => i.close()));
    await schema.drop();
  });
});
