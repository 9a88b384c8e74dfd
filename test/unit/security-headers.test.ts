import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { fixedHeaders, helmetHeaders, securityHeaders } from '../../src/web/security-headers';

async function headersFrom(middleware: RequestHandler): Promise<Record<string, unknown>> {
  const app = express();
  app.use((_req, res, next) => {
    res.setHeader('X-Powered-By', 'something');
    next();
  });
  app.use(middleware);
  app.get('/', (_req, res) => res.send('ok'));
  const response = await request(app).get('/').expect(200);
  const { date: _date, etag: _etag, ...headers } = response.headers;
  return headers;
}

describe('security headers', () => {
  it.each([false, true])('are exactly the headers helmet sends (https: %s)', async (https) => {
    const replayed = await headersFrom(securityHeaders({ https }));
    expect(replayed).toEqual(await headersFrom(helmetHeaders({ https })));
    expect(replayed['content-security-policy']).toContain("script-src 'self'");
    expect(replayed['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(replayed['referrer-policy']).toBe('no-referrer');
    expect(replayed).not.toHaveProperty('x-powered-by');
    if (https) expect(replayed['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    else expect(replayed).not.toHaveProperty('strict-transport-security');
  });

  it('refuses to replay headers that are decided later or from the request', () => {
    const later: RequestHandler = (_req, _res, next) => void setImmediate(next);
    expect(() => fixedHeaders(later)).toThrow(/synchronously/);
  });
});
