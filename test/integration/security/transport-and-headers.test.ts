import express from 'express';
import request from 'supertest';
import { errorHandler } from '../../../src/web/error-handler';
import { createLogger } from '../../../src/lib/logger';
import { buildTestApp, extractFormCsrf, type TestApp } from '../../support/test-app';
import { LogCapture } from '../../support/log-capture';

describe('cookies and headers when the app is served over HTTPS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { PUBLIC_URL: 'https://bff.example', TRUST_PROXY: 'loopback' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sets a Secure, HttpOnly, SameSite=Lax session cookie with the __Host- prefix', async () => {
    // Secure cookies are not replayed over supertest's plain HTTP, so this test carries them by hand.
    const form = await request(t.app).get('/login').set('X-Forwarded-Proto', 'https');
    const loginCookie = (form.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-fbff.login='))!;
    expect(loginCookie).toMatch(/; Secure/);
    const login = await request(t.app)
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', loginCookie.split(';')[0]!)
      .type('form')
      .send({ username: 'demo', password: 'demo-password', _csrf: extractFormCsrf(form.text) })
      .expect(303);
    const cookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-fbff.sid='));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/);
  });

  it('sends HSTS', async () => {
    const response = await request(t.app).get('/login').set('X-Forwarded-Proto', 'https');
    expect(response.headers['strict-transport-security']).toMatch(/max-age=31536000/);
  });
});

describe('headers of authenticated and API answers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ env: { PROXY_ALLOWED_PATHS: 'GET /service/v3/appointments/, GET /crm/cdk-crm/v1/leads/ping' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('marks pages, API answers and errors Cache-Control: no-store', async () => {
    const { agent } = await t.signIn();
    for (const path of ['/dashboard', '/api/me', '/api/fortellis/service/v3/appointments/', '/api/nothing-here', '/login']) {
      expect((await agent.get(path)).headers['cache-control']).toBe('no-store');
    }
  });

  it('lets static assets be cached, since they hold nothing personal', async () => {
    expect((await request(t.app).get('/public/css/app.css')).headers['cache-control']).toMatch(/max-age=3600/);
  });

  it('denies paths outside PROXY_ALLOWED_PATHS with 403, before calling Fortellis', async () => {
    const { agent, csrfToken } = await t.signIn();
    const before = t.sim.simulator.stats().apiRequests;
    const denied = await agent.get('/api/fortellis/sales/inventory/v1/merchandisable-vehicles/').expect(403);
    expect(denied.body).toMatchObject({ status: 403, title: 'API path not allowed' });
    await agent.post('/api/fortellis/service/v3/appointments/').set('X-CSRF-Token', csrfToken).send({}).expect(403);
    expect(t.sim.simulator.stats().apiRequests).toBe(before);
    await agent.get('/api/fortellis/service/v3/appointments/').expect(200);
  });
});

describe('the error handler', () => {
  function appWith(route: (app: express.Express) => void) {
    const app = express();
    app.use((_req, res, next) => {
      res.locals.requestId = 'req-1';
      next();
    });
    route(app);
    const logs = new LogCapture();
    app.use(errorHandler({ logger: createLogger({ level: 'info', destination: logs }), views: { render: (res) => res.send('page') }, clock: { now: () => 0 } }));
    return { app, logs };
  }

  it('answers malformed JSON with 400 problem JSON', async () => {
    const { app } = appWith((a) => a.post('/api/x', express.json(), (_req, res) => res.json({})));
    const response = await request(app).post('/api/x').set('Content-Type', 'application/json').send('{"oops":').expect(400);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, title: 'Malformed JSON', requestId: 'req-1' });
  });

  it('answers an oversized JSON body with 413 problem JSON', async () => {
    const { app } = appWith((a) => a.post('/api/x', express.json({ limit: '1kb' }), (_req, res) => res.json({})));
    await request(app).post('/api/x').send({ big: 'x'.repeat(5000) }).expect(413);
  });

  it('hides an unexpected failure behind a generic 500, and logs it', async () => {
    const { app, logs } = appWith((a) =>
      a.get('/api/boom', () => {
        throw new Error('database password is hunter2 at /srv/app/src/x.ts:12');
      }),
    );
    const response = await request(app).get('/api/boom').expect(500);
    expect(response.text).not.toContain('hunter2');
    expect(response.text).not.toContain('x.ts');
    expect(response.body).toMatchObject({ status: 500, title: 'Something went wrong', requestId: 'req-1' });
    expect(logs.text).toContain('unhandled error');
  });
});
