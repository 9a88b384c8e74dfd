import { UsersRepository } from '../../src/auth/users';
import { openDatabase } from '../../src/db/database';
import { DatabaseSessionBackend } from '../../src/session/database-store';
import { FakeClock } from '../support/fake-clock';
import { databaseStoreHooks, describeSessionStoreContract } from '../support/contracts/session-store.contract';
import { describeUsersRepositoryContract } from '../support/contracts/users-repository.contract';

describeUsersRepositoryContract('SQLite', async () => {
  const clock = new FakeClock();
  const database = await openDatabase('sqlite::memory:');
  return { users: new UsersRepository(database.db, clock), clock, close: () => database.close() };
});

describeSessionStoreContract('SQLite', async () => {
  const clock = new FakeClock();
  const ttlMs = 30 * 60_000;
  const database = await openDatabase('sqlite::memory:');
  return {
    store: new DatabaseSessionBackend({ db: database.db, clock, ttlMs }),
    clock,
    ttlMs,
    close: () => database.close(),
    ...databaseStoreHooks(database.db, clock),
  };
});

// The same backend serving rows from memory while SQLite's change counter stands still (what the app runs).
describeSessionStoreContract('SQLite, with the in-process row cache', async () => {
  const clock = new FakeClock();
  const ttlMs = 30 * 60_000;
  const database = await openDatabase('sqlite::memory:');
  return {
    store: new DatabaseSessionBackend({ db: database.db, clock, ttlMs, changeCounter: database.changeCounter }),
    clock,
    ttlMs,
    close: () => database.close(),
    ...databaseStoreHooks(database.db, clock),
  };
});
