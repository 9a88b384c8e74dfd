import http from 'node:http';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { listen } from '../../support/listen';
import { failNextSessionReads, failSessionWrites } from '../../support/session-store-faults';

describe('when the session store fails', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('answers a failed session read with 503 and Retry-After, deletes nothing, and the session works once the store answers', async () => {
    const { agent } = await t.signIn();
    failNextSessionReads(t.deps.sessionStore, 2);

    const api = await agent.get('/api/me').expect(503);
    expect(api.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(api.headers['retry-after']).toBe('5');
    expect(api.body).toMatchObject({ status: 503, title: 'Temporarily unavailable' });
    const page = await agent.get('/dashboard').set('Accept', 'text/html').expect(503);
    expect(page.text).toContain('Temporarily unavailable');

    // The store answers again: the same cookie is still signed in.
    expect((await agent.get('/api/me').expect(200)).body.username).toBe('demo');
    await agent.get('/dashboard').expect(200);
  });

  it('treats a corrupt session record as no session: 401 on the API, the sign-in page for pages, and the process goes on', async () => {
    const { agent } = await t.signIn();
    await sql`update sessions set data = ${'{"cookie": {"originalMaxAge": null}, "userId": '}`.execute(t.deps.database.db);

    await agent.get('/api/me').expect(401);
    const page = await agent.get('/dashboard').expect(303);
    expect(page.headers.location).toBe('/login?reason=sign-in-first&returnTo=%2Fdashboard');
    expect((await sql<{ n: number }>`select count(*) as n from sessions`.execute(t.deps.database.db)).rows[0]!.n).toBe(0);
    // Signing in again works.
    await (await t.signIn()).agent.get('/api/me').expect(200);
  });

  it('gives each client its complete answer on a kept-alive connection when the save at the end fails, and logs the outage once without a stack', async () => {
    const { cookie } = await t.signIn();
    const server = await listen(t.app);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // Past the touch interval: every request now ends with a store write, and every write fails.
      t.clock.advance(t.config.session.idleTimeoutMs / 2);
      const restore = failSessionWrites(t.deps.sessionStore);
      const sockets = new Set<unknown>();
      const answers: Array<{ status: number; body: { username?: string; status?: number } }> = [];
      // Answers from a route and from the error handler (a 404): the write at the end fails after both.
      for (const path of ['/api/me', '/api/no-such-thing', '/api/me', '/api/no-such-thing', '/api/me']) {
        answers.push(
          await new Promise((resolve, reject) => {
            const req = http.get(`${server.url}${path}`, { agent, headers: { cookie } }, (res) => {
              sockets.add(res.socket);
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (text += chunk));
              res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
              res.on('error', reject);
            });
            req.on('error', reject);
          }),
        );
      }
      restore();

      expect(answers.map((a) => [a.status, a.body.username ?? a.body.status])).toEqual([
        [200, 'demo'],
        [404, 404],
        [200, 'demo'],
        [404, 404],
        [200, 'demo'],
      ]);
      // Never cut: the one kept-alive connection served every request.
      expect(sockets.size).toBe(1);
      const outage = t.logs.entries().filter((e) => e.code === 'store-unavailable');
      expect(outage).toHaveLength(1);
      expect(t.logs.text).not.toMatch(/"stack"|\\n\s+at /);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});
