import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The upstream every phase ends at: a bare Node `http` server answering one fixed JSON body, the size of a
 * short Fortellis list answer. It does no work per request beyond Node's own parsing, so "direct" is the
 * physical limit of this machine and the proxies are measured by what they add on top of it.
 */

/** A small appointments-style answer (about 400 bytes), built once. */
export const UPSTREAM_BODY = Buffer.from(
  JSON.stringify({
    items: [
      { id: 'a1b2c3d4-0001', status: 'scheduled', start: '2025-01-06T09:00:00Z', customer: { name: 'Sam Example' }, vehicle: { vin: '1HGCM82633A004352' } },
      { id: 'a1b2c3d4-0002', status: 'confirmed', start: '2025-01-06T10:30:00Z', customer: { name: 'Alex Sample' }, vehicle: { vin: '2T1BURHE0JC074392' } },
    ],
    paging: { page: 1, pageSize: 2, total: 2 },
  }),
);

const RESPONSE_HEADERS = { 'content-type': 'application/json', 'content-length': String(UPSTREAM_BODY.length) };

export interface UpstreamStats {
  /** TCP connections accepted since start. */
  connections: number;
  /** Requests answered since start. */
  requests: number;
}

export interface RunningUpstream {
  url: string;
  stats(): UpstreamStats;
  close(): Promise<void>;
}

/** Starts the upstream on an ephemeral loopback port. */
export async function startUpstream(): Promise<RunningUpstream> {
  const stats: UpstreamStats = { connections: 0, requests: 0 };
  const server = http.createServer((req, res) => {
    stats.requests += 1;
    // Drain any request body (there is none in the benchmark) so the keep-alive connection stays usable.
    req.resume();
    res.writeHead(200, RESPONSE_HEADERS);
    res.end(UPSTREAM_BODY);
  });
  // Idle pooled connections between phases must not be cut while a proxy still holds them (Node's default
  // is 5 s): a reconnect would count as a connection opened per request that the proxy did not cause.
  server.keepAliveTimeout = 120_000;
  server.on('connection', () => {
    stats.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
