import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../../src/web/server';
import { INSPECTED_BODY_LIMIT } from '../../../src/fortellis/proxy';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually } from '../../support/listen';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream';

/**
 * The proxy against attacks and clients that misbehave, with an upstream of the test's own on loopback:
 * methods it must not forward, headers it must not pass, answers that must not run script on the app's
 * origin, bodies that trickle in or stop, and error bodies longer than what it inspects.
 */

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function serve(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function stop(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Sends raw bytes and reads until the server closes the connection. */
function rawExchange(url: string, bytes: string, options: { destroyAfterWrite?: boolean } = {}): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(bytes);
      if (options.destroyAfterWrite) {
        socket.destroy();
        resolve('');
      }
    });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('the proxy, hardened', () => {
  let upstream: FakeUpstream;
  let t: TestApp;
  let server: http.Server;
  let appUrl: string;
  let cookie: string;
  let csrfToken: string;

  function send(method: string, path: string, headers: http.OutgoingHttpHeaders = {}, body?: string | Buffer): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${appUrl}${path}`, { method, agent: false, headers: { cookie, 'x-csrf-token': csrfToken, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    t = await buildTestApp({
      env: { PROXY_FORWARD_HEADERS: 'Department-Id', PROXY_BODY_TIMEOUT_MS: '300' },
      adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: upstream.url } }),
    });
    server = createHttpServer(t.app);
    appUrl = await serve(server);
    const signedIn = await t.signIn();
    cookie = signedIn.cookie;
    csrfToken = signedIn.csrfToken;
  });
  afterAll(async () => {
    await stop(server);
    await t.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.handle((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });

  describe('methods', () => {
    it.each(['TRACE', 'PROPFIND', 'QUERY', 'OPTIONS', 'MKCOL'])('refuses %s with 405 and Allow, without reaching the upstream', async (method) => {
      const before = upstream.requests.length;
      const answer = await send(method, '/api/fortellis/service/v3/appointments/');
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
      expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 405, title: 'Method not allowed' });
      expect(upstream.requests.length).toBe(before);
    });

    it('never lets an upstream that echoes requests hand the token back through TRACE, PROPFIND or QUERY', async () => {
      upstream.handle((req, res) => {
        res.setHeader('content-type', 'message/http');
        res.end(`${req.method} ${req.url}\r\n${JSON.stringify(req.headers)}`);
      });
      const before = upstream.requests.length;
      const answers = await Promise.all(['TRACE', 'PROPFIND', 'QUERY'].map((method) => send(method, '/api/fortellis/echo')));
      const token = (await t.deps.tokens.getToken()).value;
      for (const answer of answers) {
        expect(answer.status).toBe(405);
        expect(answer.body).not.toContain(token);
        expect(JSON.stringify(answer.headers)).not.toContain(token);
      }
      expect(upstream.requests.length).toBe(before);
    });

    it('asks for the CSRF token on every method that is not GET, HEAD or OPTIONS', async () => {
      const before = upstream.requests.length;
      for (const method of ['PROPFIND', 'QUERY', 'PATCH']) {
        const answer = await send(method, '/api/fortellis/items/1', { 'x-csrf-token': 'forged' });
        expect(answer.status).toBe(403);
        expect(JSON.parse(answer.body)).toMatchObject({ title: 'Request refused' });
      }
      expect(upstream.requests.length).toBe(before);
    });

    it('still forwards HEAD with the upstream’s length and no body', async () => {
      upstream.handle((_req, res) => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('content-length', '11');
        res.end();
      });
      const answer = await send('HEAD', '/api/fortellis/items/1');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe('11');
      expect(upstream.requests.at(-1)!.method).toBe('HEAD');
    });
  });

  describe('request headers', () => {
    it('passes the headers named in PROXY_FORWARD_HEADERS, and no others', async () => {
      await send('GET', '/api/fortellis/items/1', { 'Department-Id': 'D100', 'X-Other': 'no' });
      const seen = upstream.requests.at(-1)!.headers;
      expect(seen['department-id']).toBe('D100');
      expect(seen['x-other']).toBeUndefined();
      expect(seen['x-csrf-token']).toBeUndefined();
    });

    it('does not pass the headers the browser’s Connection header names as hop-by-hop (RFC 9110 §7.6.1)', async () => {
      await send('GET', '/api/fortellis/items/1', {
        Connection: 'keep-alive, Department-Id, accept-language',
        'Department-Id': 'D100',
        'Accept-Language': 'fr-CA',
        Prefer: 'return=minimal',
      });
      const seen = upstream.requests.at(-1)!.headers;
      expect(seen['department-id']).toBeUndefined();
      expect(seen['accept-language']).toBeUndefined();
      expect(seen.prefer).toBe('return=minimal');
    });
  });

  describe('answers that are not JSON', () => {
    it.each([
      ['text/html; charset=utf-8', '<html><script>alert(document.cookie)</script></html>'],
      ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ['application/xml', '<a xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></a>'],
    ])('serves %s so that it cannot run script on the app’s origin', async (type, content) => {
      upstream.handle((_req, res) => {
        res.setHeader('content-type', type);
        res.end(content);
      });
      const answer = await send('GET', '/api/fortellis/page');
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(content);
      expect(answer.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['content-disposition']).toBe('attachment');
    });

    it('serves JSON inline, under the same sandboxing policy', async () => {
      const answer = await send('GET', '/api/fortellis/items/1');
      expect(answer.body).toBe('{"ok":true}');
      expect(answer.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
      expect(answer.headers['content-disposition']).toBeUndefined();
    });
  });

  describe('long error answers', () => {
    const longError = (size: number) => JSON.stringify({ code: 500, message: 'x'.repeat(size) });

    it.each([
      ['within', 100 * 1024],
      ['beyond', INSPECTED_BODY_LIMIT + 150 * 1024],
    ])('passes an error body %s the inspected size whole, never cut short', async (_where, size) => {
      const content = longError(size);
      upstream.handle((_req, res) => {
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(content) });
        res.end(content);
      });
      const answer = await send('GET', '/api/fortellis/broken');
      expect(answer.status).toBe(500);
      expect(answer.body.length).toBe(content.length);
      expect(JSON.parse(answer.body)).toEqual(JSON.parse(content));
      if (answer.headers['content-length'] !== undefined) expect(Number(answer.headers['content-length'])).toBe(content.length);
    });
  });

  describe('links in JSON answers', () => {
    const document = () => ({
      links: { self: { href: `${upstream.url}/service/v3/appointments/a1` }, next: { href: `${upstream.url}/service/v3/appointments/?page=2` } },
      vehicleHref: `${upstream.url}/sales/inventory/v1/vehicles/v9`,
      root: upstream.url,
      // Look-alikes that only start like the API base: never rewritten.
      longerPort: `${upstream.url}0/x`,
      otherHost: `${upstream.url}.evil.example/x`,
      userInfo: `${upstream.url}@evil.example/x`,
      inText: `see ${upstream.url}/docs`,
    });
    const rewritten = () => ({
      links: { self: { href: '/api/fortellis/service/v3/appointments/a1' }, next: { href: '/api/fortellis/service/v3/appointments/?page=2' } },
      vehicleHref: '/api/fortellis/sales/inventory/v1/vehicles/v9',
      root: '/api/fortellis',
      longerPort: `${upstream.url}0/x`,
      otherHost: `${upstream.url}.evil.example/x`,
      userInfo: `${upstream.url}@evil.example/x`,
      inText: `see ${upstream.url}/docs`,
    });

    it('rewrites hrefs under the API base to /api/fortellis/, with an exact Content-Length', async () => {
      const content = JSON.stringify(document());
      upstream.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(content) });
        res.end(content);
      });
      const answer = await send('GET', '/api/fortellis/service/v3/appointments/a1');
      expect(JSON.parse(answer.body)).toEqual(rewritten());
      expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
    });

    it('rewrites them in JSON with escaped slashes too', async () => {
      const content = JSON.stringify({ href: `${upstream.url}/a/b` }).replaceAll('/', '\\/');
      upstream.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(content);
      });
      expect(JSON.parse((await send('GET', '/api/fortellis/a')).body)).toEqual({ href: '/api/fortellis/a/b' });
    });

    it('rewrites them in a long answer streamed in small pieces, links split across pieces', async () => {
      const items = Array.from({ length: 3000 }, (_, i) => ({ id: i, ...document() }));
      const content = Buffer.from(JSON.stringify({ items }));
      expect(content.length).toBeGreaterThan(INSPECTED_BODY_LIMIT);
      upstream.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        // Pieces of 7 bytes and then of 1,000: every link is cut somewhere.
        let at = 0;
        const more = () => {
          while (at < content.length) {
            const size = at < 2000 ? 7 : 1000;
            const ok = res.write(content.subarray(at, at + size));
            at += size;
            if (!ok) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      });
      const answer = await send('GET', '/api/fortellis/items/');
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ items: Array.from({ length: 3000 }, (_, i) => ({ id: i, ...rewritten() })) });
    });

    it('leaves answers that are not JSON unchanged', async () => {
      const content = `<a href="${upstream.url}/x">x</a>`;
      upstream.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(content);
      });
      expect((await send('GET', '/api/fortellis/page')).body).toBe(content);
    });
  });

  describe('slow and vanishing clients', () => {
    it('answers 408 and closes the connection when a body stops arriving (PROXY_BODY_TIMEOUT_MS)', async () => {
      const before = upstream.requests.length;
      const received = await rawExchange(
        appUrl,
        [
          'POST /api/fortellis/items/ HTTP/1.1',
          'Host: 127.0.0.1',
          `Cookie: ${cookie}`,
          `X-CSRF-Token: ${csrfToken}`,
          'Content-Type: application/json',
          'Content-Length: 100',
          '',
          '{"name":',
        ].join('\r\n'),
      );
      // The read ends because the server closed the connection: the test would otherwise hang.
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(received).toMatch(/connection: close/i);
      expect(received).toContain('Request body too slow');
      expect(upstream.requests.length).toBe(before);
    });

    it('logs an upload the browser abandons as one quiet 499 line, no error', async () => {
      const path = '/api/fortellis/uploads/abandoned';
      const problems = () => t.logs.entries().filter((e) => e.level === 'error' || e.level === 'fatal' || e.level === 'warn').length;
      const problemsBefore = problems();
      await rawExchange(
        appUrl,
        ['POST ' + path + ' HTTP/1.1', 'Host: 127.0.0.1', `Cookie: ${cookie}`, `X-CSRF-Token: ${csrfToken}`, 'Content-Length: 1000', '', 'part of it'].join('\r\n'),
        { destroyAfterWrite: true },
      );
      await eventually(() => t.logs.entries().some((e) => e.path === path));
      const line = t.logs.entries().find((e) => e.path === path)!;
      expect(t.logs.entries().filter((e) => e.requestId === line.requestId)).toHaveLength(1);
      expect(line).toMatchObject({ level: 'info', status: 499, aborted: true });
      expect(problems()).toBe(problemsBefore);
    });
  });
});

describe('the HTTP server’s bounds on slow clients', () => {
  it.each([
    ['answers 408 and closes the connection when request headers stop arriving', 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '],
    [
      // A sign-in form post that never completes: the proxy's own body timeout is not involved here.
      'answers 408 and closes a connection whose body trickles in beyond the whole-request timeout',
      'POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=',
    ],
  ])('%s', async (_name, bytes) => {
    const t = await buildTestApp();
    const server = createHttpServer(t.app, { headersTimeoutMs: 200, requestTimeoutMs: 400 });
    try {
      // The read ends only because the server closes the connection (Node's default would wait 300 s).
      const received = await rawExchange(await serve(server), bytes);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await stop(server);
      await t.close();
    }
  });
});
