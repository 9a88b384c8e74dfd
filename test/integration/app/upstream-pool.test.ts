import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamPool, type Exchange } from '../../../src/fortellis/upstream-transport';
import { eventually } from '../../support/listen';

const newExchange = (): Exchange => ({ clientGone: false, abort: undefined, body: undefined, finish: undefined });

describe('UpstreamPool (undici dispatch) at its connection limit', () => {
  let server: http.Server;
  let url: string;
  const seen: string[] = [];
  const held: http.ServerResponse[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url!);
      if (req.url === '/hold') return void held.push(res);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('never sends a call whose browser left while it waited for a connection', async () => {
    const pool = new UpstreamPool({ baseUrl: url, timeoutMs: 5000, idleTimeoutMs: 5000, maxConnections: 1 });
    try {
      const first = pool.send({ method: 'GET', path: '/hold', headers: {}, body: undefined, retryable: true }, newExchange());
      await eventually(() => held.length === 1);
      // The one connection is busy: this call waits in the pool's queue.
      const leaving = newExchange();
      const queued = pool.send({ method: 'GET', path: '/queued', headers: {}, body: undefined, retryable: true }, leaving);
      const outcome = queued.then(
        () => 'answered',
        (error: { status?: number }) => error.status,
      );
      // The browser goes away (the proxy's 'close' listener does this).
      leaving.clientGone = true;
      leaving.abort!();
      held[0]!.end('{}');
      const answer = await first;
      expect(answer.statusCode).toBe(200);
      expect(await answer.body.readPrefix(1024)).toMatchObject({ complete: true });
      expect(await outcome).toBe(499);
      // The connection is free again and serves the next call; the abandoned one never reached the upstream.
      const next = await pool.send({ method: 'GET', path: '/next', headers: {}, body: undefined, retryable: true }, newExchange());
      expect(Buffer.concat((await next.body.readPrefix(1024)).chunks).toString()).toBe('{"ok":true}');
      expect(seen).toEqual(['/hold', '/next']);
    } finally {
      await pool.close();
    }
  });
});
