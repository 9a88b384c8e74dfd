import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { buildConnector, Client, Pool, type Dispatcher } from 'undici';
import { AppError } from '../core/errors';

/**
 * How the proxy reaches the API host: one exchange per call, with the answer's body as a readable stream.
 * The proxy core depends on this interface only; `UpstreamPool` (undici) is the one in use.
 */
export interface UpstreamTransport {
  /**
   * Sends one request; resolves with the answer's head (its body still to read), rejects with an AppError
   * (504 timeout, 502 unreachable, 499 when `exchange.clientGone`).
   */
  send(request: UpstreamRequest, exchange: Exchange): Promise<UpstreamAnswer>;
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

export interface UpstreamAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Must be read to its end or destroyed: until then it holds its connection. */
  body: Readable;
}

/** What one proxied call has in flight upstream, for the browser's 'close' listener. */
export interface Exchange {
  /** The browser closed the connection before its answer was complete. */
  clientGone: boolean;
  /** Cancels the request whose answer has not come yet. */
  abort: (() => void) | undefined;
  /** The answer's body being read. */
  body: Readable | undefined;
  /** Ends the forwarding of the answer early. */
  finish: (() => void) | undefined;
}

export interface UpstreamPoolOptions {
  /** FORTELLIS_API_BASE_URL: its origin is where requests go (the path comes with each request). */
  baseUrl: string;
  /** PROXY_TIMEOUT_MS: for connecting, for the answer's head, and between chunks of its body. */
  timeoutMs: number;
  /** PROXY_FREE_SOCKET_TIMEOUT_MS: an idle connection is closed after this (or sooner, if the upstream says so). */
  idleTimeoutMs: number;
  /** Connections open at most (calls beyond wait for one). */
  maxConnections: number;
}

/**
 * The upstream connection pool: undici's Pool. Against node:http's agent it costs the proxy about a fifth
 * less CPU per call (`npm run bench`, README "Performance"): its HTTP parser and request writer do less
 * work per call, and it honours the upstream's `Keep-Alive: timeout` hint instead of ignoring it.
 *
 * A kept-alive connection may have been dropped by the upstream or a load balancer while it sat idle; when
 * one fails before any byte of the answer, an idempotent call is sent once more on a fresh connection of
 * its own (RFC 9110 §9.2.2; undici itself never resends).
 */
export class UpstreamPool implements UpstreamTransport {
  /** Connections opened since start, retries included (tests count them; the bench checks reuse). */
  connectionsOpened = 0;
  private readonly origin: string;
  private readonly pool: Pool;
  private readonly clientOptions: Pool.Options;

  constructor(private readonly options: UpstreamPoolOptions) {
    this.origin = new URL(options.baseUrl).origin;
    const connector = buildConnector({ timeout: options.timeoutMs });
    const connect: buildConnector.connector = (connectOptions, callback) => {
      this.connectionsOpened += 1;
      return connector(connectOptions, callback);
    };
    this.clientOptions = {
      connect,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: options.idleTimeoutMs,
      // The upstream's own Keep-Alive hint may shorten the idle time, never lengthen it past ours.
      keepAliveMaxTimeout: options.idleTimeoutMs,
    };
    this.pool = new Pool(this.origin, { ...this.clientOptions, connections: options.maxConnections });
  }

  async send(request: UpstreamRequest, exchange: Exchange): Promise<UpstreamAnswer> {
    try {
      return await this.attempt(this.pool, request, exchange);
    } catch (error) {
      if (!(request.retryable && !exchange.clientGone && connectionDropped(error))) throw this.failure(error, exchange);
    }
    // The retry's connection is its own and closes once its answer has been read.
    const fresh = new Client(this.origin, this.clientOptions);
    try {
      return await this.attempt(fresh, request, exchange);
    } catch (error) {
      throw this.failure(error, exchange);
    } finally {
      fresh.close().catch(() => undefined);
    }
  }

  /** Closes every connection; calls in flight fail. */
  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private async attempt(dispatcher: Dispatcher, request: UpstreamRequest, exchange: Exchange): Promise<UpstreamAnswer> {
    // The browser may have gone while the token was being fetched.
    if (exchange.clientGone) throw clientGone();
    // undici takes an EventEmitter for a signal: cheaper per call than an AbortController.
    const signal = new EventEmitter();
    exchange.abort = () => signal.emit('abort');
    try {
      const answer = await dispatcher.request({
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers as Record<string, string | string[]>,
        body: request.body,
        signal,
      });
      exchange.body = answer.body;
      return { statusCode: answer.statusCode, headers: answer.headers as IncomingHttpHeaders, body: answer.body };
    } finally {
      exchange.abort = undefined;
    }
  }

  private failure(error: unknown, exchange: Exchange): unknown {
    if (exchange.clientGone) return clientGone();
    if (error instanceof AppError) return error;
    // A bug of ours (an argument undici refuses) is not dressed up as the upstream's failure: it stays a 500.
    if ((error as { code?: string } | undefined)?.code === 'UND_ERR_INVALID_ARG') return error;
    return upstreamFailure(error, this.options.timeoutMs);
  }
}

/** undici's codes for a connection that died under a request before any of its answer came. */
const DROPPED = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function connectionDropped(error: unknown): boolean {
  return DROPPED.has((error as { code?: string } | undefined)?.code ?? '');
}

const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * What the browser is told when the exchange with the upstream failed (connecting, waiting for the answer,
 * or reading its body): 504 for a timeout, 502 for the rest. Never throws: it also runs in stream handlers.
 */
export function upstreamFailure(error: unknown, timeoutMs: number): AppError {
  const code = (error as { code?: string } | undefined)?.code;
  if (code !== undefined && TIMEOUTS.has(code)) return upstreamTimeout(error as Error, timeoutMs);
  return upstreamUnreachable(error as Error);
}

const upstreamTimeout = (error: Error, timeoutMs: number) =>
  new AppError({
    status: 504,
    code: 'fortellis-timeout',
    title: 'Fortellis did not answer in time',
    detail: `Fortellis did not answer within ${timeoutMs} ms. Try again in a moment.`,
    logDetail: `upstream timed out: ${(error as NodeJS.ErrnoException).code}`,
    cause: error,
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
