import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { AppError } from '../core/errors';

/**
 * How the proxy reaches the API host: one exchange per call, with the answer as a Node readable stream. The
 * proxy core depends on this interface only; `nodeHttpTransport` is the one in use (node:http with the
 * app's keep-alive agent). undici's Pool was measured against it with `npm run bench` (README,
 * "Performance") and was not faster here, so it is not a dependency.
 */
export interface UpstreamTransport {
  /**
   * Sends one request; resolves with the answer's head (its body still to read), rejects with an AppError
   * (504 timeout, 502 unreachable, 499 when `exchange.clientGone`).
   */
  send(request: UpstreamRequest, exchange: Exchange): Promise<IncomingMessage>;
}

export interface UpstreamRequest {
  method: string;
  /** Path and query below the transport's origin. */
  path: string;
  headers: OutgoingHttpHeaders;
  body: Buffer | undefined;
  /** Idempotent: may be sent once more on a fresh connection when a reused one turns out dead. */
  retryable: boolean;
}

/** What one proxied call has in flight upstream, for the browser's 'close' listener. */
export interface Exchange {
  /** The browser closed the connection before its answer was complete. */
  clientGone: boolean;
  request: http.ClientRequest | undefined;
  response: IncomingMessage | undefined;
  /** Ends the forwarding of the answer early. */
  finish: (() => void) | undefined;
}

export interface NodeHttpTransportOptions {
  /** FORTELLIS_API_BASE_URL: its origin is where requests go (the path comes with each request). */
  baseUrl: string;
  /** Keep-alive agent; one per process so connections are reused. */
  agent: http.Agent;
  timeoutMs: number;
}

/**
 * node:http (or https) with a keep-alive agent. A kept-alive socket may have been dropped by the upstream or
 * a load balancer while it sat idle; if it fails before any byte of the answer, an idempotent call is sent
 * once more on a fresh connection (Node's own advice for `request.reusedSocket`).
 */
export function nodeHttpTransport(options: NodeHttpTransportOptions): UpstreamTransport {
  const base = new URL(options.baseUrl);
  const client = base.protocol === 'https:' ? https : http;
  const send = (request: UpstreamRequest, exchange: Exchange, fresh: boolean): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const upstreamRequest = client.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          method: request.method,
          path: request.path,
          headers: request.headers,
          // The retry's connection is its own and closes after the answer.
          agent: fresh ? false : options.agent,
          timeout: options.timeoutMs,
        },
        (response) => {
          exchange.request = undefined;
          exchange.response = response;
          resolve(response);
        },
      );
      exchange.request = upstreamRequest;
      upstreamRequest.on('timeout', () => upstreamRequest.destroy(upstreamTimeout(options.timeoutMs)));
      upstreamRequest.on('error', (error) => {
        if (error instanceof AppError) return reject(error);
        if (!fresh && upstreamRequest.reusedSocket && request.retryable && !exchange.clientGone) {
          // Sockets are handed out last-in first-out: every idle one is older than this dead one.
          dropIdleSockets(options.agent);
          return resolve(send(request, exchange, true));
        }
        reject(upstreamUnreachable(error));
      });
      // The browser may have gone while the token was being fetched.
      if (exchange.clientGone) upstreamRequest.destroy(clientGone());
      upstreamRequest.end(request.body);
    });
  return { send: (request, exchange) => send(request, exchange, false) };
}

/** Closes the agent's idle connections (after one of them turned out to be dead). */
function dropIdleSockets(agent: http.Agent): void {
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const socket of [...(sockets ?? [])]) socket.destroy();
  }
}

const upstreamTimeout = (timeoutMs: number) =>
  new AppError({
    status: 504,
    code: 'fortellis-timeout',
    title: 'Fortellis did not answer in time',
    detail: `Fortellis did not answer within ${timeoutMs} ms. Try again in a moment.`,
  });

/** The upstream connection failed (refused, reset, TLS): 502. */
export const upstreamUnreachable = (error: Error) =>
  new AppError({
    status: 502,
    code: 'fortellis-unreachable',
    title: 'Fortellis could not be reached',
    detail: 'The app could not reach Fortellis. Try again in a moment.',
    logDetail: `upstream connection failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
    cause: error,
  });

/** The browser went away before its answer was complete. */
export const clientGone = () => new AppError({ status: 499, code: 'client-closed-request', title: 'Client closed request' });
