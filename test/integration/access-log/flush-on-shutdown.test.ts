import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import request from 'supertest';
import { loadConfig } from '../../../src/config/load';
import { createPasswordHasher } from '../../../src/auth/password';
import { createLogger } from '../../../src/lib/logger';
import { systemClock } from '../../../src/lib/clock';
import { startServer } from '../../../src/run';
import { LogCapture } from '../../support/log-capture';
import { extractFormCsrf } from '../../support/test-app';
import { fetchPage, signInOver } from '../../support/fetch-client';
import { freePort } from '../../support/own-redis';
import { buildDist, startProcess } from '../../support/processes';

describe('the access log at shutdown', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fbff-access-log-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the entries still in memory before the database closes', async () => {
    const file = path.join(dir, 'app.db');
    // Neither a full batch nor the timer would write them: only the stop does.
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', SIMULATOR_PORT: '0', DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'info', ACCESS_LOG_FLUSH_INTERVAL_MS: '3600000', ACCESS_LOG_BATCH_SIZE: '1000' });
    const running = await startServer(config, { clock: systemClock, logger: createLogger({ level: 'info', destination: new LogCapture() }), passwords: createPasswordHasher({ logN: 10 }) });
    const agent = request.agent(running.url);
    const form = await agent.get('/login').expect(200);
    await agent.post('/login').type('form').send({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) }).expect(303);
    for (let i = 0; i < 3; i += 1) await agent.get('/api/fortellis/service/v3/appointments/').expect(200);
    await running.stop(1000);

    const db = new BetterSqlite3(file, { readonly: true });
    const rows = db.prepare('select username, path, status from access_log').all();
    db.close();
    expect(rows).toEqual(Array.from({ length: 3 }, () => ({ username: 'demo', path: '/service/v3/appointments/', status: 200 })));
  });

  it('writes them through the write thread of the built server too (dist/, as `npm start` runs it)', async () => {
    // The thread's code is a separate file that the build must ship: without it, every batch would be lost.
    buildDist();
    const file = path.join(dir, 'built.db');
    const [port, simulatorPort] = [await freePort(), await freePort()];
    const url = `http://127.0.0.1:${port}`;
    const server = await startProcess(
      'dist/server.js',
      { NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), SIMULATOR_PORT: String(simulatorPort), DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'warn', ACCESS_LOG_FLUSH_INTERVAL_MS: '3600000' },
      `${url}/readyz`,
    );
    try {
      const cookie = await signInOver(url);
      for (let i = 0; i < 2; i += 1) expect((await fetchPage(`${url}/api/fortellis/service/v3/appointments/`, { cookie })).status).toBe(200);
    } finally {
      server.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    const db = new BetterSqlite3(file, { readonly: true });
    const rows = db.prepare('select username, status from access_log').all();
    db.close();
    expect(rows).toEqual([{ username: 'demo', status: 200 }, { username: 'demo', status: 200 }]);
  }, 60_000);
});
