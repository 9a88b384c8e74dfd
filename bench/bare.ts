import http from 'node:http';
import { listenOnLoopback, type RunningProxy } from './proxy-server';

/**
 * The limit a Node proxy can reach on this machine: `node:http` alone, no framework, no session, no log, a
 * keep-alive agent, fixed `Authorization` and `Subscription-Id`, the answer piped through. Whatever the app
 * costs beyond this phase is the price of what it does on top (session, CSRF, Request-Id, log, metrics).
 */

export type RunningBare = RunningProxy;

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
  return listenOnLoopback(server, agent);
}
