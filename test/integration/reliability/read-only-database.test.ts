import { sql } from 'kysely';
import request from 'supertest';
import { createApp } from '../../../src/app';
import { loadConfig } from '../../../src/config/load';
import { buildDependencies, type BuiltDependencies } from '../../../src/dependencies';
import { openDatabase } from '../../../src/db/database';
import { createLogger } from '../../../src/lib/logger';
import { FakeClock } from '../../support/fake-clock';
import { LogCapture } from '../../support/log-capture';
import { describeWithPostgres, postgresSchemaForTest } from '../../support/services';
import { buildTestApp, type TestApp } from '../../support/test-app';

/**
 * A database that still answers reads but refuses writes (read-only file or mount, disk full, a replica
 * after failover) cannot keep a single session, so the instance is not ready. Faults chosen to work as root
 * too, where file permissions stop nobody: SQLite's PRAGMA query_only on the app's own connection, and a
 * PostgreSQL connection whose transactions are read-only by default.
 */
describe('readiness when the SQLite database refuses writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is 503 naming the database while it is read-only, writes answer 503 rather than 500, and it is ready again afterwards', async () => {
    const user = await t.signIn();
    await request(t.app).get('/readyz').expect(200, { status: 'ok', checks: { database: 'ok' } });

    await sql`pragma query_only = 1`.execute(t.deps.database.db);
    await request(t.app).get('/readyz').expect(503, { status: 'unavailable', checks: { database: 'unavailable' } });
    const write = await user.agent.post('/api/session/subscription').set('X-CSRF-Token', user.csrfToken).send({ subscriptionId: 'test' });
    expect(write.status).toBe(503);
    expect(write.body).toMatchObject({ status: 503, store: 'database' });
    const warning = t.logs.entries().find((e) => e.event === 'readiness.failed');
    expect(warning).toMatchObject({ dependency: 'database', detail: expect.stringMatching(/readonly|read-only|query_only/i) });

    await sql`pragma query_only = 0`.execute(t.deps.database.db);
    await request(t.app).get('/readyz').expect(200);
  });
});

describeWithPostgres('readiness when PostgreSQL refuses writes', () => {
  let schema: Awaited<ReturnType<typeof postgresSchemaForTest>>;
  let deps: BuiltDependencies | undefined;
  beforeAll(async () => {
    schema = await postgresSchemaForTest();
    // Migrated while writable; the app then connects with every transaction read-only by default, as on a
    // hot standby.
    await (await openDatabase(schema.url)).close();
  });
  afterAll(async () => {
    await deps?.close();
    await schema.drop();
  });

  it('is 503 naming the database', async () => {
    const url = new URL(schema.url);
    url.searchParams.set('options', `${url.searchParams.get('options')} -c default_transaction_read_only=on`);
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url.toString(), PUBLIC_URL: 'http://localhost:3000' });
    deps = await buildDependencies(config, { clock: new FakeClock(), logger: createLogger({ level: 'warn', destination: new LogCapture() }) });
    const app = createApp(deps);
    await request(app).get('/readyz').expect(503, { status: 'unavailable', checks: { database: 'unavailable' } });
    // It still answers reads: the old `select 1` check said ok here.
    await expect(sql`select 1 as one`.execute(deps.database.db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
  });
});
