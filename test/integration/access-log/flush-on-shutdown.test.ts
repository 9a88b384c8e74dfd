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
});
