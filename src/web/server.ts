import http from 'node:http';
import type { Express } from 'express';
import { apiProxyHandlerOf, isProxyUrl } from './api-proxy-route';

/**
 * The HTTP server for the app: requests under the API proxy's prefix go straight to the proxy's handler
 * (mounted by createApp with mountApiProxy), everything else to Express.
 *
 * Express changes the prototype of every request and response it is given
 * (`Object.setPrototypeOf(req, app.request)` in `app.handle`), and Node's own code, which the proxy's call
 * mostly runs (parsing, headers, streams), then works on objects of another shape. A proxied call that never
 * enters Express keeps Node's objects as they were built. Measured with interleaved A/B runs of the bench's
 * bff on Node 20 (README, "Performance"): 143 against 164 µs of CPU per proxied call through Express on
 * objects built with Express' prototypes from birth, which the server did before; the same early dispatch on
 * such objects gained nothing. Express routes pay for it on Node 20, where Express' re-prototyping of plain
 * objects is slow (README); from Node 22 on the server was plain already.
 *
 * It also bounds how long a client may take to send its request (`timeouts`).
 */
export function createHttpServer(app: Express, timeouts: ClientTimeouts = DEFAULT_CLIENT_TIMEOUTS): http.Server {
  const options: http.ServerOptions = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // Node looks for expired requests every 30 s by default, which would let a slow client hold on
    // for up to 30 s beyond its timeout; a quarter of the headers timeout keeps the bound close.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(timeouts.headersTimeoutMs / 4))),
  };
  const api = apiProxyHandlerOf(app);
  if (!api) return http.createServer(options, app);
  return http.createServer(options, (req, res) => (isProxyUrl(req.url!) ? api(req, res) : app(req, res)));
}

/**
 * How long a client may take to send a request: its headers, and the whole of it with the body (then 408
 * and the connection is closed). Node's defaults (60 s, 300 s) let a slowloris client hold a connection
 * for five minutes.
 */
export interface ClientTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/** The configuration's defaults (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS). */
export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 };
