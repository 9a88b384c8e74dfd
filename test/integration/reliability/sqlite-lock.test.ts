import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import BetterSqlite3 from 'better-sqlite3';
import request from 'supertest';
import { buildTestApp, extractFormCsrf, type SignedIn, type TestApp } from '../../support/test-app';

/**
 * Another process (here another SQLite connection to the same file, which is what `npm run user` or a second
 * instance is) holds the write lock. Before the fix, better-sqlite3 waited for it inside SQLite's busy
 * handler (busy_timeout=5000): the event loop stood still for 5 s per write, /healthz included.
 */
describe('while another process holds the SQLite write lock', () => {
  let directory: string;
  let t: TestApp;
  let user: SignedIn;
  let holder: BetterSqlite3.Database;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'fbff-sqlite-lock-'));
    t = await buildTestApp({ env: { DATABASE_URL: `sqlite:${path.join(directory, 'app.db')}` } });
    user = await t.signIn();
    holder = new BetterSqlite3(path.join(directory, 'app.db'));
  });
  afterAll(async () => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await t.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  const switchStore = () => user.agent.post('/api/session/subscription').set('X-CSRF-Token', user.csrfToken).send({ subscriptionId: 'test' });

  async function signInForm() {
    const agent = request.agent(t.app);
    const form = await agent.get('/login').expect(200);
    return () => agent.post('/login').type('form').set('Accept', 'text/html').send({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) });
  }

  it('answers writes with 503 and Retry-After without freezing the event loop, and writes work again once the lock is gone', async () => {
    await switchStore().expect(200);
    const signIn = await signInForm();

    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("insert into audit_log (id, at, actor_username, action) values ('lock-holder', 0, 'other-process', 'hold')").run();

    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const [write, health, signInAnswer] = await Promise.all([switchStore(), request(t.app).get('/healthz'), signIn()]);
    loop.disable();

    expect(write.status).toBe(503);
    expect(write.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(write.headers['retry-after']).toBe('5');
    expect(write.body).toMatchObject({ status: 503, title: 'Temporarily unavailable' });
    expect(health.status).toBe(200);
    // Sign-in writes the session: a readable page saying to try again, not a 500.
    expect(signInAnswer.status).toBe(503);
    expect(signInAnswer.headers['content-type']).toMatch(/text\/html/);
    expect(signInAnswer.headers['retry-after']).toBe('5');
    expect(signInAnswer.text).toContain('Temporarily unavailable');
    // The retries are bounded in number and wait on timers: the loop never stood still for anything like
    // the old 5 s busy wait (this bound is half of it, so a loaded machine's hiccups do not matter).
    expect(loop.max / 1e6).toBeLessThan(2500);

    // Not ready while it cannot write; reads (the session) still work.
    const readiness = await request(t.app).get('/readyz').expect(503);
    expect(readiness.body.checks).toEqual({ database: 'unavailable' });
    await user.agent.get('/api/me').expect(200);

    holder.exec('COMMIT');
    await switchStore().expect(200);
    await request(t.app).get('/readyz').expect(200);
    const retried = await signInForm();
    expect((await retried()).status).toBe(303);
    // The two refused writes were counted as store errors.
    const counted = (await t.deps.metrics.storeErrors.get()).values.reduce((sum, { value }) => sum + value, 0);
    expect(counted).toBeGreaterThanOrEqual(2);
  });
});
