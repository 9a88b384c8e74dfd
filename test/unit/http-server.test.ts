import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { mountApiProxy } from '../../src/web/api-proxy-route';
import { createHttpServer } from '../../src/web/server';

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
  /** An app with an API handler mounted (as createApp mounts the proxy's) that says what it was given. */
  function appWithApiHandler() {
    const app = sampleApp();
    const seen = { api: [] as boolean[] };
    mountApiProxy(app, (req, res) => {
      seen.api.push(Object.getPrototypeOf(req) === http.IncomingMessage.prototype && Object.getPrototypeOf(res) === http.ServerResponse.prototype);
      res.setHeader('content-type', 'text/plain');
      res.end(`api ${req.url}`);
    });
    return { app, seen };
  }

  it('hands requests under the API prefix to the API handler as Node built them, without Express', async () => {
    const { app, seen } = appWithApiHandler();
    const server = createHttpServer(app);
    let expressSaw = 0;
    app.use((_req, _res, next) => {
      expressSaw += 1;
      next();
    });
    const url = await serve(server);
    try {
      expect((await get(`${url}/api/fortellis/service/v1/x?q=1`)).body).toBe('api /api/fortellis/service/v1/x?q=1');
      expect((await get(`${url}/api/fortellis`)).body).toBe('api /api/fortellis');
      expect(seen.api).toEqual([true, true]);
      // Not under the prefix: Express's, whatever it starts with.
      expect(JSON.parse((await get(`${url}/json?a=1`)).body)).toEqual({ query: { a: '1' }, path: '/json', hasLocals: true });
      expect((await get(`${url}/api/fortellisx`)).status).toBe(404);
      expect(seen.api).toHaveLength(2);
      // Of all these requests only /api/fortellisx came this far into Express.
      expect(expressSaw).toBe(1);
    } finally {
      await close(server);
    }
  });

  it('serves the same handler through the Express app alone (supertest, or a server of your own)', async () => {
    const { app, seen } = appWithApiHandler();
    const server = http.createServer(app);
    const url = await serve(server);
    try {
      expect((await get(`${url}/api/fortellis/a`)).body).toBe('api /api/fortellis/a');
      // Express's objects this time: the handler needs nothing of them but what Node's have.
      expect(seen.api).toEqual([false]);
      expect((await get(`${url}/json`)).status).toBe(201);
    } finally {
      await close(server);
    }
  });

  it('answers an app without an API handler exactly as http.createServer does', async () => {
    const fast = createHttpServer(sampleApp());
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
    } finally {
      await Promise.all([close(fast), close(plain)]);
    }
  });
});
