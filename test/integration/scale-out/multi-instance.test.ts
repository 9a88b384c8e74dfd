import { createPasswordHasher } from '../../../src/auth/password';
import { UsersRepository } from '../../../src/auth/users';
import { openDatabase } from '../../../src/db/database';
import { systemClock } from '../../../src/lib/clock';
import { eventually } from '../../support/listen';
import { freePort } from '../../support/own-redis';
import { buildDist, startProcess, type RunningProcess } from '../../support/processes';
import { describeWithRedisAndPostgres, postgresSchemaForTest, REDIS_URL, uniqueName } from '../../support/services';
import { fetchPage as http, signInOver } from '../../support/fetch-client';

describeWithRedisAndPostgres('three app instances on one Redis and one PostgreSQL', () => {
  const clientId = 'fleet-api-key';
  const clientSecret = 'fleet-api-secret-0123456789';
  let simulator: RunningProcess;
  let instances: RunningProcess[] = [];
  let urls: string[] = [];
  let simulatorUrl: string;
  let dropSchema: () => Promise<void>;

  beforeAll(async () => {
    buildDist();
    const schema = await postgresSchemaForTest();
    dropSchema = schema.drop;
    // The fleet's one user, created the way an administrator would (the processes migrate the same schema).
    const database = await openDatabase(schema.url);
    await new UsersRepository(database.db, systemClock).create({ username: 'demo', passwordHash: await createPasswordHasher({ logN: 10 }).hash('fleet-demo-password'), subscriptionId: 'test' });
    await database.close();

    const simulatorPort = await freePort();
    simulatorUrl = `http://127.0.0.1:${simulatorPort}`;
    simulator = await startProcess(
      'dist/simulator/main.js',
      { NODE_ENV: 'test', SIMULATOR_PORT: String(simulatorPort), SIMULATOR_CLIENT_ID: clientId, SIMULATOR_CLIENT_SECRET: clientSecret },
      `${simulatorUrl}/__simulator/stats`,
    );
    expect(simulator.output()).toContain(`${simulatorUrl}/oauth2/aus-simulator`);

    const prefix = `${uniqueName('fleet')}:`;
    const ports = [await freePort(), await freePort(), await freePort()];
    urls = ports.map((port) => `http://127.0.0.1:${port}`);
    instances = await Promise.all(
      ports.map((port, i) =>
        startProcess(
          'dist/server.js',
          {
            NODE_ENV: 'test',
            HOST: '127.0.0.1',
            PORT: String(port),
            PUBLIC_URL: urls[i]!,
            SESSION_SECRET: 'fleet-session-secret-that-is-long-enough-0123456789',
            DATABASE_URL: schema.url,
            REDIS_URL: REDIS_URL!,
            REDIS_KEY_PREFIX: prefix,
            FORTELLIS_API_KEY: clientId,
            FORTELLIS_API_SECRET: clientSecret,
            FORTELLIS_ISSUER: `${simulatorUrl}/oauth2/aus-simulator`,
            FORTELLIS_API_BASE_URL: `${simulatorUrl}/apis`,
            FORTELLIS_SUBSCRIPTIONS_URL: simulatorUrl,
            LOG_LEVEL: 'warn',
          },
          `${urls[i]}/readyz`,
        ),
      ),
    );
  }, 90_000);

  afterAll(async () => {
    for (const running of [...instances, simulator]) running?.kill('SIGKILL');
    await dropSchema?.();
  });

  // Outside simulator mode the demo password is refused at start-up, so the fleet's demo user has its own.
  const signInOn = (url: string) => signInOver(url, 'fleet-demo-password');

  it('recognises a user signed in on A on B and C, and a sign-out on B ends the session everywhere', async () => {
    const [a, b, c] = urls as [string, string, string];
    const cookie = await signInOn(a);
    for (const url of [b, c]) {
      const me = await http(`${url}/api/me`, { cookie });
      expect(me.status).toBe(200);
      expect(JSON.parse(me.text)).toMatchObject({ username: 'demo', subscriptionId: 'test' });
    }
    const { csrfToken } = JSON.parse((await http(`${b}/api/me`, { cookie })).text);
    expect((await http(`${b}/logout`, { method: 'POST', cookie, form: { _csrf: csrfToken } })).status).toBe(303);
    for (const url of [a, b, c]) expect((await http(`${url}/api/me`, { cookie })).status).toBe(401);
  });

  it('makes exactly one token request for 300 concurrent calls over the fleet after every token expired', async () => {
    const cookie = await signInOn(urls[0]!);
    // Every instance holds a token in memory first.
    for (const url of urls) expect((await http(`${url}/api/fortellis/service/v3/appointments/`, { cookie })).status).toBe(200);
    expect((await http(`${simulatorUrl}/__simulator/expire-tokens`, { method: 'POST' })).status).toBe(200);
    await http(`${simulatorUrl}/__simulator/stats/reset`, { method: 'POST' });

    const statuses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => http(`${urls[i % 3]}/api/fortellis/service/v3/appointments/?page=${(i % 2) + 1}`, { cookie }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const stats = JSON.parse((await http(`${simulatorUrl}/__simulator/stats`)).text);
    expect(stats.tokenRequests).toBe(1);
  });

  it('finishes a slow request when its instance gets SIGTERM, then exits 0', async () => {
    const cookie = await signInOn(urls[2]!);
    const fault = await fetch(`${simulatorUrl}/__simulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ target: 'api', delayMs: 500, count: 1 }),
    });
    expect(fault.status).toBe(201);
    const slow = http(`${urls[2]}/api/fortellis/service/v3/appointments/`, { cookie });
    await eventually(async () => JSON.parse((await http(`${simulatorUrl}/__simulator/stats`)).text).pendingFaultDelays === 1);
    instances[2]!.kill('SIGTERM');
    expect((await slow).status).toBe(200);
    expect(await instances[2]!.exited).toBe(0);
    await expect(fetch(`${urls[2]}/healthz`)).rejects.toThrow();
  });
});
