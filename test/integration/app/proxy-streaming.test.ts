import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../../src/web/server';
import { buildTestApp, type TestApp } from '../../support/test-app';
import { eventually } from '../../support/listen';

/**
 * The proxy forwards answers chunk by chunk (no pipe()), so these tests hold it to what pipe() guaranteed:
 * every byte arrives in order even when the browser reads slowly (back-pressure), and a browser that goes
 * away mid-answer takes the upstream response with it.
 */

const BIG_PATH = '/big/';
const HANGING_PATH = '/hanging/';
const CUT_PATH = '/cut/';
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const CHUNKS = 64; // 4 MiB: far more than the socket buffers hold, so the proxy must wait for the browser.

interface Upstream {
  url: string;
  /** Resolves when the upstream saw its hanging answer's connection close. */
  hangingClosed: Promise<void>;
  expectedDigest: string;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const digest = createHash('sha256');
  for (let i = 0; i < CHUNKS; i++) digest.update(Buffer.concat([CHUNK, Buffer.from([i])]));
  let hangingClosed!: () => void;
  const closed = new Promise<void>((resolve) => (hangingClosed = resolve));
  const server = http.createServer((req, res) => {
    if (req.url === BIG_PATH) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let i = 0;
      const writeMore = () => {
        while (i < CHUNKS) {
          const ok = res.write(Buffer.concat([CHUNK, Buffer.from([i])]));
          i += 1;
          if (!ok) return void res.once('drain', writeMore);
        }
        res.end();
      };
      writeMore();
      return;
    }
    if (req.url === HANGING_PATH) {
      // The first part of an answer, then nothing: only the proxy going away ends this.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items":[');
      res.on('close', () => hangingClosed());
      return;
    }
    if (req.url === CUT_PATH) {
      // Half of a long answer (past what the proxy reads ahead), then the upstream's connection dies.
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(CHUNKS * CHUNK.length) });
      for (let i = 0; i < 8; i++) res.write(CHUNK);
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hangingClosed: closed,
    expectedDigest: digest.digest('hex'),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('the proxy streaming answers', () => {
  let upstream: Upstream;
  let t: TestApp;
  let server: http.Server;
  let appUrl: string;
  let cookie: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await buildTestApp({ adjust: (config) => ({ ...config, fortellis: { ...config.fortellis, apiBaseUrl: upstream.url } }) });
    server = createHttpServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cookie = (await t.signIn()).cookie;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
    await upstream.close();
  });

  it('delivers every byte, in order, to a browser that reads slowly', async () => {
    const digest = createHash('sha256');
    let received = 0;
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${appUrl}/api/fortellis${BIG_PATH}`, { headers: { cookie } }, (res) => {
          // Stop reading for a while: the proxy's writes back up and it must pause the upstream.
          res.pause();
          setTimeout(() => res.resume(), 200);
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
            digest.update(chunk);
          });
          res.on('end', () => resolve(res.statusCode!));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    expect(received).toBe(CHUNKS * (CHUNK.length + 1));
    expect(digest.digest('hex')).toBe(upstream.expectedDigest);
  });

  it('drops the upstream answer when the browser goes away in the middle of it', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = http.get(`${appUrl}/api/fortellis${HANGING_PATH}`, { headers: { cookie } }, (res) => {
        res.once('data', () => {
          // Part of the answer has arrived through the proxy: now leave.
          request.destroy();
          resolve();
        });
      });
      request.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error)));
    });
    await upstream.hangingClosed;
    await eventually(() => t.logs.entries().some((e) => e.path === `/api/fortellis${HANGING_PATH}` && e.aborted === true));
  });

  it("cuts the browser's answer short when the upstream's connection dies in the middle of it, and goes on serving", async () => {
    const outcome = await new Promise<{ received: number; complete: boolean }>((resolve, reject) => {
      let received = 0;
      http
        .get(`${appUrl}/api/fortellis${CUT_PATH}`, { headers: { cookie } }, (res) => {
          expect(res.statusCode).toBe(200);
          res.on('data', (chunk: Buffer) => (received += chunk.length));
          // Node reports an answer that ends before its Content-Length as 'aborted' (an error, then close).
          res.on('error', () => undefined);
          res.on('close', () => resolve({ received, complete: res.complete }));
        })
        .on('error', reject);
    });
    expect(outcome.complete).toBe(false);
    expect(outcome.received).toBeLessThan(CHUNKS * CHUNK.length);
    await eventually(() => t.logs.entries().some((e) => e.path === `/api/fortellis${CUT_PATH}` && e.aborted === true));
    // The browser's next call is answered as usual.
    const next = await fetch(`${appUrl}/api/fortellis${BIG_PATH}`, { headers: { cookie } });
    expect(next.status).toBe(200);
    expect((await next.arrayBuffer()).byteLength).toBe(CHUNKS * (CHUNK.length + 1));
  });
});
