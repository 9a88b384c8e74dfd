import express from 'express';
import request from 'supertest';
import { createLogger } from '../../src/lib/logger';
import { AppMetrics } from '../../src/web/metrics';
import { requestContext, withoutQuery } from '../../src/web/request-context';
import { FakeClock } from '../support/fake-clock';
import { LogCapture } from '../support/log-capture';

describe('the request line', () => {
  function app() {
    const logs = new LogCapture();
    const server = express();
    server.use(requestContext({ logger: createLogger({ level: 'info', destination: logs }), metrics: new AppMetrics({ clock: new FakeClock() }), quietPrefixes: ['/healthz'] }));
    server.get('/things', (_req, res) => {
      res.locals.upstreamStatus = 200;
      res.json({ ok: true });
    });
    server.get('/healthz', (_req, res) => res.send('ok'));
    return { server, logs };
  }

  it('logs one line per request, with the path but never the query string', async () => {
    const { server, logs } = app();
    const response = await request(server).get('/things?token=secret-in-query&page=2').expect(200);
    const [line] = logs.entries();
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/things', status: 200, upstreamStatus: 200, requestId: response.headers['request-id'] });
    expect(line).not.toHaveProperty('aborted');
    expect(logs.text).not.toContain('secret-in-query');
  });

  it('gives quiet paths a Request-Id but no line', async () => {
    const { server, logs } = app();
    const response = await request(server).get('/healthz').expect(200);
    expect(response.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(logs.lines).toHaveLength(0);
  });

  it('cuts a URL at its query string', () => {
    expect(withoutQuery('/a/b?c=d?e')).toBe('/a/b');
    expect(withoutQuery('/a/b')).toBe('/a/b');
    expect(withoutQuery('/?')).toBe('/');
  });
});
