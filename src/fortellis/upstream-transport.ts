import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { buildConnector, Client, errors, Pool, util, type Dispatcher } from 'undici';
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
  /** Must be read to its end, discarded or destroyed: until then it holds its connection. */
  body: AnswerBody;
}

/**
 * An answer's body as it comes off the connection: the proxy reads its first bytes (an error answer's
 * gateway code, a small JSON answer whole), forwards the rest, or lets it go. No stream object in between:
 * undici hands its chunks straight to whoever reads them.
 */
export interface AnswerBody {
  /**
   * Reads until the body has ended (`complete`) or more than `limit` bytes came (then it waits, paused, for
   * forward()). Rejects with the AppError of a failed body (504 on a stall past PROXY_TIMEOUT_MS, 502),
   * or 499 when destroyed meanwhile.
   */
  readPrefix(limit: number): Promise<BodyPrefix>;
  /** Hands every chunk still to come to `sink`, then its end or its failure. */
  forward(sink: BodySink): void;
  /** Goes on after `sink.chunk` returned false. */
  resume(): void;
  /** Reads the rest into nothing (an answer whose body the browser does not get). */
  discard(): void;
  /** Gives up on the rest: the upstream request is aborted and its connection closed. */
  destroy(): void;
}

/** The first bytes of an answer; `complete` when that was all of it. */
export interface BodyPrefix {
  chunks: Buffer[];
  complete: boolean;
}

export interface BodySink {
  /** One chunk of the body; false asks for a pause until AnswerBody.resume(). */
  chunk(data: Buffer): boolean;
  end(): void;
  error(failure: AppError): void;
}

/** What one proxied call has in flight upstream, for the browser's 'close' listener. */
export interface Exchange {
  /** The browser closed the connection before its answer was complete. */
  clientGone: boolean;
  /** Cancels the request whose answer has not come yet. */
  abort: (() => void) | undefined;
  /** The answer's body being read. */
  body: AnswerBody | undefined;
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
 * The upstream connection pool: undici's Pool, driven through `dispatch` (DispatchedCall below). Against
 * node:http's agent it costs the proxy about a fifth less CPU per call (`npm run bench`, README
 * "Performance"): its HTTP parser and request writer do less work per call, and it honours the upstream's
 * `Keep-Alive: timeout` hint instead of ignoring it.
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
    const call = new DispatchedCall(this.options.timeoutMs);
    exchange.abort = () => call.destroy();
    try {
      dispatcher.dispatch(
        { method: request.method as Dispatcher.HttpMethod, path: request.path, headers: request.headers as Record<string, string | string[]>, body: request.body ?? null },
        call,
      );
      const answer = await call.head;
      exchange.body = answer.body;
      return answer;
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

/** Bytes of an answer buffered while nobody reads it yet (between its head and the proxy's first read). */
const UNREAD_LIMIT = 64 * 1024;

/**
 * One request through undici's `dispatch` with the handler undici calls for each event of the exchange:
 * the head resolves `head`, the body's chunks go to the reader. undici's `request()` would wrap every
 * answer in a Readable stream and a promise chain of its own; the proxy reads most answers whole (small
 * JSON), and this does it with an array of chunks (about 7 µs less CPU per call in a bare proxy).
 */
class DispatchedCall implements Dispatcher.DispatchHandler, AnswerBody {
  readonly head: Promise<UpstreamAnswer>;
  private settleHead!: { resolve(answer: UpstreamAnswer): void; reject(error: unknown): void };
  private headSettled = false;
  private abortUpstream: ((error?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private destroyed = false;
  private paused = false;
  /** Chunks nobody has taken yet, and their size. */
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;
  private failed: AppError | undefined;
  private prefix: { limit: number; resolve(prefix: BodyPrefix): void; reject(error: AppError): void } | undefined;
  private sink: BodySink | undefined;

  constructor(private readonly timeoutMs: number) {
    this.head = new Promise((resolve, reject) => {
      this.settleHead = { resolve, reject };
    });
  }

  // undici's side.

  onConnect(abort: (error?: Error) => void): void {
    this.abortUpstream = abort;
    // Destroyed while queued for a connection: it goes no further.
    if (this.destroyed) abort(new errors.RequestAbortedError());
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    // 1xx informational answers come before the real one.
    if (statusCode < 200) return true;
    this.resumeUpstream = resume;
    this.headSettled = true;
    this.settleHead.resolve({ statusCode, headers: util.parseHeaders(rawHeaders) as IncomingHttpHeaders, body: this });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.destroyed) return true;
    if (this.sink) {
      const more = this.sink.chunk(chunk);
      this.paused = !more;
      return more;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.prefix && this.size > this.prefix.limit) {
      this.paused = true;
      this.takePrefix(false);
      return false;
    }
    // Nobody reads yet: hold a little, then wait.
    this.paused = !this.prefix && this.size > UNREAD_LIMIT;
    return !this.paused;
  }

  onComplete(): void {
    this.ended = true;
    if (this.destroyed) return;
    if (this.prefix) this.takePrefix(true);
    else if (this.sink) this.sink.end();
  }

  onError(error: Error): void {
    if (!this.headSettled) {
      this.headSettled = true;
      this.settleHead.reject(this.destroyed ? clientGone() : error);
      return;
    }
    if (this.destroyed) return;
    this.failed = upstreamFailure(error, this.timeoutMs);
    this.prefix?.reject(this.failed);
    this.prefix = undefined;
    this.sink?.error(this.failed);
  }

  // The proxy's side.

  readPrefix(limit: number): Promise<BodyPrefix> {
    if (this.destroyed) return Promise.reject(clientGone());
    if (this.failed) return Promise.reject(this.failed);
    if (this.ended || this.size > limit) {
      const prefix = { chunks: this.chunks, complete: this.ended };
      this.chunks = [];
      this.size = 0;
      return Promise.resolve(prefix);
    }
    return new Promise((resolve, reject) => {
      this.prefix = { limit, resolve, reject };
      this.wake();
    });
  }

  forward(sink: BodySink): void {
    if (this.destroyed) return;
    this.sink = sink;
    const waiting = this.chunks;
    this.chunks = [];
    this.size = 0;
    for (const chunk of waiting) sink.chunk(chunk);
    if (this.failed) sink.error(this.failed);
    else if (this.ended) sink.end();
    else this.wake();
  }

  resume(): void {
    this.wake();
  }

  discard(): void {
    this.forward({ chunk: () => true, end: () => undefined, error: () => undefined });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.chunks = [];
    this.prefix?.reject(clientGone());
    this.prefix = undefined;
    if (!this.ended) this.abortUpstream?.(new errors.RequestAbortedError());
  }

  private takePrefix(complete: boolean): void {
    const waiting = this.prefix!;
    this.prefix = undefined;
    const chunks = this.chunks;
    this.chunks = [];
    this.size = 0;
    waiting.resolve({ chunks, complete });
  }

  private wake(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeUpstream?.();
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
