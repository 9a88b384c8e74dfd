import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createHttpServer, EXPRESS_OBJECTS_FROM_BIRTH } from '../../src/web/server';

/** GET over a real socket: status, headers and body. */
function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

async function serve(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function sampleApp() {
  const app = express();
  app.disable('x-powered-by');
  app.get('/json', (req, res) => {
    res.locals.seen = true;
    res.status(201).json({ query: req.query, path: req.path, hasLocals: res.locals.seen === true });
  });
  app.get('/redirect', (_req, res) => res.redirect(303, '/json'));
  return app;
}

describe('the HTTP server for the app', () => {
  it('builds requests and responses that are Express objects before Express sees them (the choice for Node 20)', async () => {
    const app = sampleApp();
    const server = createHttpServer(app, undefined, true);
    const seen: boolean[] = [];
    // Runs before the app's own listener, i.e. before Express's setPrototypeOf.
    server.prependListener('request', (req, res) => {
      seen.push(Object.getPrototypeOf(req) === app.request, Object.getPrototypeOf(res) === app.response);
    });
    const url = await serve(server);
    try {
      await get(`${url}/json`);
      expect(seen).toEqual([true, true]);
    } finally {
      await close(server);
    }
  });

  it('leaves them plain when told to (the choice for Node 22 and later), and picks by the running Node', async () => {
    const app = sampleApp();
    const server = createHttpServer(app, undefined, false);
    const seen: boolean[] = [];
    server.prependListener('request', (req, res) => {
      seen.push(Object.getPrototypeOf(req) === http.IncomingMessage.prototype, Object.getPrototypeOf(res) === http.ServerResponse.prototype);
    });
    const url = await serve(server);
    try {
      expect(JSON.parse((await get(`${url}/json?a=1`)).body)).toEqual({ query: { a: '1' }, path: '/json', hasLocals: true });
      expect(seen).toEqual([true, true]);
    } finally {
      await close(server);
    }
    expect(EXPRESS_OBJECTS_FROM_BIRTH).toBe(Number(process.versions.node.split('.')[0]) < 22);
  });

  it.each([true, false])('answers exactly as the same app served by http.createServer does (from birth: %s)', async (fromBirth) => {
    const fast = createHttpServer(sampleApp(), undefined, fromBirth);
    const plain = http.createServer(sampleApp());
    const [fastUrl, plainUrl] = await Promise.all([serve(fast), serve(plain)]);
    try {
      for (const path of ['/json?a=1&b=two', '/redirect', '/missing']) {
        const [a, b] = await Promise.all([get(`${fastUrl}${path}`), get(`${plainUrl}${path}`)]);
        expect(a.status).toBe(b.status);
        expect(a.body).toBe(b.body);
        const { date: _a, ...headersA } = a.headers;
        const { date: _b, ...headersB } = b.headers;
        expect(headersA).toEqual(headersB);
      }
      expect(JSON.parse((await get(`${fastUrl}/json?a=1`)).body)).toEqual({ query: { a: '1' }, path: '/json', hasLocals: true });
    } finally {
      await Promise.all([close(fast), close(plain)]);
    }
  });
});
