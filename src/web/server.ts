import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express } from 'express';

/**
 * The HTTP server for an Express app; on Node 20, with request and response objects that are Express objects
 * from birth.
 *
 * `http.createServer(app)` (what `app.listen` does) hands Express plain `IncomingMessage` and
 * `ServerResponse` objects, and Express then changes their prototype on every request
 * (`Object.setPrototypeOf(req, app.request)` in `app.handle`). On Node 20 changing the prototype of a live
 * object is one of the slowest things its V8 does: the object gets a fresh hidden class and every property
 * access on it after that misses the inline caches. Measured with `npm run bench`, it was the largest single
 * cost of a proxied call (a hello-world Express app spent about 3× the CPU per request of the same app
 * served as below).
 *
 * Node lets a server construct its requests and responses with other classes
 * (`http.createServer({ IncomingMessage, ServerResponse })`); these constructors create objects whose
 * prototype already is `app.request` / `app.response`, so Express's `setPrototypeOf` finds nothing to
 * change. Behaviour is exactly Express's: same prototypes, same methods, same order of middleware.
 *
 * On Node 24 it is the other way round: the plain objects are cheaper (see EXPRESS_OBJECTS_FROM_BIRTH), so
 * the server is a plain one there.
 *
 * It also bounds how long a client may take to send its request (`timeouts`).
 */
export function createHttpServer(app: Express, timeouts: ClientTimeouts = DEFAULT_CLIENT_TIMEOUTS, fromBirth = EXPRESS_OBJECTS_FROM_BIRTH): http.Server {
  const options: http.ServerOptions = {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // Node looks for expired requests every 30 s by default, which would let a slow client hold on
    // for up to 30 s beyond its timeout; a quarter of the headers timeout keeps the bound close.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(timeouts.headersTimeoutMs / 4))),
  };
  if (fromBirth) {
    options.IncomingMessage = expressRequestClass(app);
    options.ServerResponse = expressResponseClass(app);
  }
  return http.createServer(options, app);
}

/**
 * Whether this Node serves an Express app with less CPU when its requests are Express objects from birth.
 * Measured per proxied call with interleaved A/B runs of the bench's bff (`npm run bench:ab`'s method, six
 * rounds): Node 20.20, 213 µs from birth against 322 plain; Node 24.22, 192 and 220 from birth against 176
 * and 188 plain (two runs, in either order). Node 22 was not measured and is treated like 24.
 */
export const EXPRESS_OBJECTS_FROM_BIRTH = Number(process.versions.node.split('.')[0]) < 22;

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

/** A constructor Node's server can call with `new`, building an IncomingMessage whose prototype is `app.request`. */
export function expressRequestClass(app: Express): typeof http.IncomingMessage {
  function ExpressRequest(this: http.IncomingMessage, socket: Socket) {
    // IncomingMessage is a function-style constructor (it calls Readable.call(this)), so it can initialise `this`.
    (http.IncomingMessage as unknown as (this: http.IncomingMessage, socket: Socket) => void).call(this, socket);
  }
  ExpressRequest.prototype = app.request;
  return ExpressRequest as unknown as typeof http.IncomingMessage;
}

/** The same for ServerResponse and `app.response`. */
export function expressResponseClass(app: Express): typeof http.ServerResponse {
  function ExpressResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: unknown) {
    (http.ServerResponse as unknown as (this: http.ServerResponse, req: http.IncomingMessage, options?: unknown) => void).call(this, req, options);
  }
  ExpressResponse.prototype = app.response;
  return ExpressResponse as unknown as typeof http.ServerResponse;
}
