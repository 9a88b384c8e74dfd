import { AuditLog } from '../../../src/auth/audit-log';
import { openDatabase, type OpenDatabase } from '../../../src/db/database';
import { FakeClock } from '../../support/fake-clock';
import { POSTGRES_URL, postgresSchemaForTest } from '../../support/services';

/**
 * The audit log's filters and pages on every database the app runs on (the same SQL must mean the same on
 * SQLite and PostgreSQL: lower() for the user filter, bigint times, offset paging). PostgreSQL runs when
 * DATABASE_URL points at it.
 */
const backends: Array<[string, () => Promise<{ database: OpenDatabase; drop(): Promise<void> }>]> = [
  ['SQLite', async () => ({ database: await openDatabase('sqlite::memory:'), drop: async () => undefined })],
];
if (POSTGRES_URL) {
  backends.push([
    'PostgreSQL',
    async () => {
      const schema = await postgresSchemaForTest();
      return { database: await openDatabase(schema.url), drop: () => schema.drop() };
    },
  ]);
} else {
  console.log('Audit log on PostgreSQL skipped: DATABASE_URL does not point at PostgreSQL.');
}

describe.each(backends)('the audit log on %s', (_name, open) => {
  let database: OpenDatabase;
  let drop: () => Promise<void>;
  let audit: AuditLog;
  const clock = new FakeClock(Date.parse('2026-03-01T23:59:59Z'));

  beforeAll(async () => {
    ({ database, drop } = await open());
    audit = new AuditLog(database.db, clock);
    await audit.record({ id: null, username: 'cli:ops' }, 'user.create', 'Alice');
    clock.advanceSeconds(1); // 2026-03-02T00:00:00Z
    await audit.record({ id: 'u-1', username: 'admin' }, 'user.deactivate', 'alice');
    await audit.record({ id: null, username: 'bob' }, 'auth.sign-in.failed', 'bob');
  });

  afterAll(async () => {
    await database.close();
    await drop();
  });

  it('filters by the user who acted or was acted on, whatever the case', async () => {
    const { entries } = await audit.query({ user: 'ALICE' });
    expect(entries.map((e) => e.action)).toEqual(['user.deactivate', 'user.create']);
    expect((await audit.query({ user: 'cli:ops' })).entries).toHaveLength(1);
  });

  it('filters by action and by time, the day boundary included from and excluded to', async () => {
    expect((await audit.query({ action: 'auth.sign-in.failed' })).entries.map((e) => e.target)).toEqual(['bob']);
    const march2 = Date.parse('2026-03-02T00:00:00Z');
    expect((await audit.query({ from: march2 })).entries).toHaveLength(2);
    expect((await audit.query({ to: march2 })).entries.map((e) => e.action)).toEqual(['user.create']);
  });

  it('pages newest first and says whether an older page exists', async () => {
    const first = await audit.query({ pageSize: 2 });
    expect(first.entries.map((e) => e.action)).toEqual(['auth.sign-in.failed', 'user.deactivate']);
    expect(first.hasMore).toBe(true);
    const second = await audit.query({ pageSize: 2, page: 1 });
    expect(second.entries.map((e) => e.action)).toEqual(['user.create']);
    expect(second.hasMore).toBe(false);
  });
});
