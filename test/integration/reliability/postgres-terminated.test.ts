import { sql } from 'kysely';
import { Client } from 'pg';
import { openDatabase } from '../../../src/db/database';
import { eventually } from '../../support/listen';
import { freePort } from '../../support/own-redis';
import { buildDist, startProcess, type RunningProcess } from '../../support/processes';
import { describeWithPostgres, POSTGRES_URL, postgresSchemaForTest, uniqueName } from '../../support/services';
import { fetchPage as call, signInOver } from '../../support/fetch-client';

/**
 * PostgreSQL ends the app's connections (a restart, a failover, an idle reaper, pg_terminate_backend). Before
 * the fix, the pg pool emitted an 'error' nobody listened to and the process exited: every instance at once.
 * The app runs as its own process (dist/server.js) with its connections named by application_name, so the
 * test terminates those backends and no one else's.
 */
describeWithPostgres('when PostgreSQL terminates the app’s connections', () => {
  const applicationName = uniqueName('app');
  let app: RunningProcess;
  let url: string;
  let dropSchema: () => Promise<void>;
  let admin: Client;

  beforeAll(async () => {
    buildDist();
    const schema = await postgresSchemaForTest();
    dropSchema = schema.drop;
    const databaseUrl = new URL(schema.url);
    databaseUrl.searchParams.set('application_name', applicationName);
    const [port, simulatorPort] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    app = await startProcess(
      'dist/server.js',
      { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), SIMULATOR_PORT: String(simulatorPort), PUBLIC_URL: url, DATABASE_URL: databaseUrl.toString(), LOG_LEVEL: 'warn' },
      `${url}/readyz`,
    );
    admin = new Client({ connectionString: POSTGRES_URL });
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    app?.kill('SIGKILL');
    await admin?.end();
    await dropSchema?.();
  });

  const signIn = () => signInOver(url);

  async function terminateAppConnections(): Promise<number> {
    const { rows } = await admin.query('select pg_terminate_backend(pid) as ended from pg_stat_activity where application_name = $1', [applicationName]);
    return rows.filter((row: { ended: boolean }) => row.ended).length;
  }

  async function databaseStoreErrors(): Promise<number> {
    const metrics = await call(`${url}/metrics`);
    const match = /^store_errors_total\{store="database"\} (\d+)$/m.exec(metrics.text);
    return match ? Number(match[1]) : 0;
  }

  /** Every answer is a proper one: 200, or 503 problem JSON with Retry-After. Never a cut socket. */
  function expectProperAnswers(answers: PromiseSettledResult<Awaited<ReturnType<typeof call>>>[]) {
    for (const answer of answers) {
      expect(answer.status).toBe('fulfilled');
      if (answer.status !== 'fulfilled') continue;
      const { status, headers } = answer.value;
      expect([200, 503]).toContain(status);
      if (status === 503) {
        expect(headers.get('content-type')).toMatch(/application\/problem\+json/);
        expect(headers.get('retry-after')).toBe('5');
      }
    }
  }

  it('stays up, answers 200 or 503 while the connections are gone, counts the errors, and recovers by itself', async () => {
    // One session per request: the test is about the database, not about what a failed session read does to a session.
    // One after another: simultaneous sign-ins to one account beyond its failure limit are refused (12.1).
    const cookies: string[] = [];
    for (let i = 0; i < 13; i += 1) cookies.push(await signIn());
    const [during, between, after] = [cookies.slice(0, 6), cookies[6]!, cookies.slice(7)];

    // 1. In the middle of a batch: some queries are in flight, some connections idle in the pool.
    const batch = Promise.allSettled(during.map((cookie) => call(`${url}/api/me`, { cookie })));
    const endedInFlight = await terminateAppConnections();
    expectProperAnswers(await batch);

    // 2. Between requests: every pooled connection is idle when the server ends it (the old crash).
    await eventually(async () => (await call(`${url}/api/me`, { cookie: between })).status === 200, 20_000);
    const counted = await databaseStoreErrors();
    const endedIdle = await terminateAppConnections();
    expect(endedIdle).toBeGreaterThan(0);
    // Each lost connection is counted once, as the pool drops it.
    await eventually(async () => (await databaseStoreErrors()) >= counted + endedIdle, 20_000);
    expect(endedInFlight + endedIdle).toBeGreaterThan(0);
    expect(app.child.exitCode).toBeNull();

    // 3. Afterwards: fresh connections, and everything works again without anyone stepping in.
    const answers = await Promise.allSettled(after.map((cookie) => call(`${url}/api/me`, { cookie })));
    expectProperAnswers(answers);
    expect(answers.filter((a) => a.status === 'fulfilled' && a.value.status === 200).length).toBeGreaterThan(0);
    await signIn();
    expect((await call(`${url}/readyz`)).status).toBe(200);
    expect(app.output()).toContain('"event":"database.connection.lost"');
    expect(app.output()).not.toMatch(/Unhandled 'error' event|uncaughtException/);
  });

  it('turns a query the server cut off into a 503 store-unavailable error, and the next query runs on a fresh connection', async () => {
    const name = uniqueName('inflight');
    const schema = await postgresSchemaForTest();
    const databaseUrl = new URL(schema.url);
    databaseUrl.searchParams.set('application_name', name);
    const database = await openDatabase(databaseUrl.toString());
    try {
      const slow = sql`select pg_sleep(60)`.execute(database.db);
      await eventually(async () => (await admin.query("select 1 from pg_stat_activity where application_name = $1 and state = 'active'", [name])).rowCount === 1, 20_000);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [name]);
      await expect(slow).rejects.toMatchObject({ status: 503, code: 'store-unavailable', extensions: { store: 'database' }, retryAfterSeconds: 5 });
      // Not the cut-off connection again (pg would still hand it out until the socket's end arrived).
      await expect(sql<{ one: number }>`select 1 as one`.execute(database.db)).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await database.close();
      await schema.drop();
    }
  });
});
