import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

/** What the upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** 1 for the first request on its connection, 2 for the second... */
  onConnection: number;
}

export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void;

export interface FakeUpstream {
  url: string;
  /** Every request that reached it, oldest first. */
  requests: SeenRequest[];
  /** Connections it accepted. */
  connections(): number;
  /** Connections accepted and since closed (it never closes an idle one itself). */
  closedConnections(): number;
  /** Replaces how it answers; without a handler, back to the default (200 `{"ok":true}`). */
  handle(handler?: UpstreamHandler): void;
  /**
   * Called when a request arrives, before its body is read; return true to reset the connection there
   * (what a load balancer that forgot an idle connection does when the next request comes).
   */
  resetWhen(rule: ((seen: Omit<SeenRequest, 'body'>) => boolean) | undefined): void;
  close(): Promise<void>;
}

const ok: UpstreamHandler = (_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end('{"ok":true}');
};

/** A programmable API on loopback for tests that need an upstream which misbehaves in a precise way. */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: SeenRequest[] = [];
  const perSocket = new WeakMap<Socket, number>();
  let connections = 0;
  let closed = 0;
  let handler = ok;
  let reset: ((seen: Omit<SeenRequest, 'body'>) => boolean) | undefined;
  const server = http.createServer((req, res) => {
    const onConnection = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, onConnection);
    const head = { method: req.method!, url: req.url!, headers: req.headers, onConnection };
    if (reset?.(head)) {
      requests.push({ ...head, body: '' });
      req.socket.resetAndDestroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const seen = { ...head, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(seen);
      handler(req, res, seen);
    });
  });
  // Only the proxy decides when an idle connection ends.
  server.keepAliveTimeout = 0;
  server.on('connection', (socket: Socket) => {
    connections += 1;
    socket.once('close', () => (closed += 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => connections,
    closedConnections: () => closed,
    handle(next) {
      handler = next ?? ok;
    },
    resetWhen(rule) {
      reset = rule;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
