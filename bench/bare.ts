import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The limit a Node proxy can reach on this machine: `node:http` alone, no framework, no session, no log, a
 * keep-alive agent, fixed `Authorization` and `Subscription-Id`, the answer piped through. Whatever the app
 * costs beyond this phase is the price of what it does on top (session, CSRF, Request-Id, log, metrics).
 */

export interface RunningBare {
  url: string;
  close(): Promise<void>;
}

const PREFIX = '/api/fortellis';

/** Starts the bare proxy on an ephemeral loopback port, in front of `upstreamUrl`. */
export async function startBare(upstreamUrl: string): Promise<RunningBare> {
  const upstream = new URL(upstreamUrl);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (!url.startsWith(`${PREFIX}/`)) {
      res.writeHead(404).end();
      return;
    }
    const outgoing = http.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: url.slice(PREFIX.length),
        agent,
        headers: { accept: 'application/json', authorization: 'Bearer bare-fixed-token', 'subscription-id': 'test' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'application/octet-stream', ...(answer.headers['content-length'] ? { 'content-length': answer.headers['content-length'] } : {}) });
        answer.pipe(res);
      },
    );
    outgoing.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(outgoing);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
