import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Request, Response } from 'express';
import { AppError } from '../http/errors';
import { describeGatewayCode, findGatewayCode, type GatewayErrorCode } from './gateway-errors';
import { isAllowed, normaliseProxyTarget, PathRejectedError, type NormalisedTarget, type PathRule } from './path-policy';
import type { TokenProvider } from './token-provider';
import { connectionNominated, forwardedRequestHeaders } from './header-policy';
import { createLinkRewriter, type StreamingLinkRewriter } from './link-rewrite';

/**
 * The API proxy: `/api/fortellis/<path>` → `FORTELLIS_API_BASE_URL/<path>`, with the app's token, the
 * session's Subscription-Id and a fresh Request-Id. It streams answers through with Node's http client and
 * keep-alive agents (axios would buffer and re-encode every body); error answers are read (up to a limit)
 * so that Fortellis gateway codes can be recognised and explained, and links to the API host in JSON
 * answers are rewritten to go through the proxy.
 */

export interface ProxyOptions {
  apiBaseUrl: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  /** How long a browser may take to send its whole request body (then 408). */
  bodyTimeoutMs: number;
  allowedPaths: readonly PathRule[] | null;
  /** Request headers forwarded beyond the default few (PROXY_FORWARD_HEADERS, lower-case, already checked). */
  forwardHeaders?: readonly string[];
  tokens: TokenProvider;
  /** Keep-alive agent for the upstream; one per process so connections are reused. */
  agent: http.Agent;
  /** Called once per proxied call with the upstream status (0 when there was no answer). */
  onUpstreamResponse?: (info: { pathPrefix: string; status: number; durationMs: number }) => void;
}

export interface ProxyCall {
  subscriptionId: string;
  requestId: string;
}

/**
 * The methods Fortellis APIs are called with. Anything else (TRACE, CONNECT, WebDAV's PROPFIND, QUERY...)
 * would go out with the app's token to an API that has no use for it, and TRACE echoes the token back:
 * 405. OPTIONS is left out too: it only matters for CORS preflights, which a browser sends to the proxy's
 * origin, never through it.
 */
export const PROXIED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ALLOW = [...PROXIED_METHODS].join(', ');

/**
 * The proxied methods that are idempotent (RFC 9110 §9.2.2) and so may be sent again when a kept-alive
 * connection turns out to be dead; "a proxy MUST NOT automatically retry non-idempotent requests" (POST, PATCH).
 */
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

/** Response headers safe to give the browser. Set-Cookie and hop-by-hop headers never pass. */
const RETURNED_RESPONSE_HEADERS = ['content-type', 'content-language', 'etag', 'last-modified', 'retry-after', 'preference-applied'] as const;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Error answers are read up to this size to find a Fortellis code; JSON answers that declare a length up to
 * this size are read whole to rewrite their links and send an exact Content-Length. Anything longer streams.
 */
export const INSPECTED_BODY_LIMIT = 256 * 1024;

/**
 * Proxied answers are the API's, not this app's pages: whatever they hold (an HTML error page, an SVG) must
 * not run script on the app's origin if a browser is lured into opening one. `sandbox` gives the document a
 * unique opaque origin, `default-src 'none'` loads nothing.
 */
const PROXIED_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

export function createFortellisProxy(options: ProxyOptions) {
  const base = new URL(options.apiBaseUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  const transport = base.protocol === 'https:' ? https : http;
  const forwardedHeaders = forwardedRequestHeaders(options.forwardHeaders ?? []);
  const links = createLinkRewriter(options.apiBaseUrl, '/api/fortellis');

  /**
   * Handles one browser request; errors are thrown as AppError for the error middleware.
   *
   * This runs for every API call, so it keeps per-call work small (see README, "Performance"): one 'close'
   * listener on the browser's response for the whole call instead of one per upstream attempt, the answer
   * forwarded chunk by chunk without `pipe()` (which attaches half a dozen listeners per call), and nothing
   * computed for metrics that nobody reads.
   */
  return async function proxy(req: Request, res: Response, call: ProxyCall): Promise<void> {
    res.locals.routeLabel = '/api/fortellis/*';
    const method = req.method;
    if (!PROXIED_METHODS.has(method)) {
      res.setHeader('Allow', ALLOW);
      throw methodNotProxied(method);
    }
    const target = checkedTarget(req.url, method, options.allowedPaths);

    // A browser that goes away takes the upstream exchange in flight with it. Prepended, so that the
    // request log line (written on 'close' too) already reads 499.
    const exchange: Exchange = { clientGone: false, request: undefined, response: undefined, finish: undefined };
    res.prependListener('close', () => {
      if (res.writableFinished) return;
      exchange.clientGone = true;
      if (!res.headersSent) res.statusCode = 499;
      exchange.request?.destroy(clientGone());
      exchange.response?.destroy();
      exchange.finish?.();
    });

    const body = METHODS_WITH_BODY.has(method) ? await readBody(req, res, options.bodyLimitBytes, options.bodyTimeoutMs) : undefined;
    const started = performance.now();

    let token = await options.tokens.getToken();
    let upstream = await send(token.value, false);
    let gatewayCode: GatewayErrorCode | undefined;
    let inspected: Prefix | undefined;
    if (upstream.statusCode! >= 400) {
      inspected = await readPrefix(upstream, INSPECTED_BODY_LIMIT);
      gatewayCode = inspected.complete ? findGatewayCode(parseJson(inspected.chunks)) : undefined;
      // The token was revoked or expired early: drop it (if still ours), get one fresh token, replay once.
      if (gatewayCode && describeGatewayCode(gatewayCode).tokenProblem) {
        await options.tokens.invalidate(token.value);
        token = await options.tokens.getToken();
        upstream = await send(token.value, false);
        inspected = undefined;
        gatewayCode = undefined;
        if (upstream.statusCode! >= 400) {
          inspected = await readPrefix(upstream, INSPECTED_BODY_LIMIT);
          gatewayCode = inspected.complete ? findGatewayCode(parseJson(inspected.chunks)) : undefined;
        }
      }
    }
    const status = upstream.statusCode!;
    options.onUpstreamResponse?.({ pathPrefix: pathPrefix(target.path), status, durationMs: performance.now() - started });
    res.locals.upstreamStatus = status;

    if (gatewayCode) {
      const info = describeGatewayCode(gatewayCode);
      throw new AppError({
        status,
        code: 'fortellis-error',
        title: `Fortellis answered ${gatewayCode}`,
        detail: info.explanation,
        fortellisCode: gatewayCode,
        logDetail: `upstream ${method} ${target.path} answered ${status} ${gatewayCode}`,
        extensions: { party: info.party },
      });
    }

    const headers = upstream.headers;
    const json = isJson(headers['content-type']);
    // Links are rewritten in plain JSON only: a compressed body (never asked for, but possible) passes as it is.
    const rewritable = json && headers['content-encoding'] === undefined;
    const declaredLength = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    if (method === 'HEAD' || status === 204 || status === 304) {
      sendHeaders(res, status, headers, options.apiBaseUrl, json);
      if (declaredLength !== undefined) res.setHeader('content-length', declaredLength);
      res.end();
      upstream.resume();
      return;
    }
    // A small JSON answer is read whole: its links are rewritten and its length stays exact.
    if (!inspected && rewritable && declaredLength !== undefined && declaredLength <= INSPECTED_BODY_LIMIT) {
      inspected = await readPrefix(upstream, INSPECTED_BODY_LIMIT);
    }
    sendHeaders(res, status, headers, options.apiBaseUrl, json);
    if (inspected?.complete) {
      const whole = concat(inspected.chunks);
      const answer = rewritable ? links.rewrite(whole) : whole;
      res.setHeader('content-length', answer.length);
      res.end(answer);
      return;
    }
    // Streamed: JSON through the streaming rewriter (its length may change, so none is declared), anything
    // else byte for byte with the upstream's length.
    if (!rewritable && declaredLength !== undefined) res.setHeader('content-length', declaredLength);
    await forwardToClient(upstream, res, exchange, inspected?.chunks, rewritable ? links.stream() : undefined);

    /**
     * One upstream exchange. A kept-alive socket may have been dropped by the upstream or a load balancer
     * while it sat idle; if it fails before any byte of the answer, an idempotent call is sent once more on
     * a fresh connection (Node's own advice for `request.reusedSocket`).
     */
    function send(accessToken: string, fresh: boolean): Promise<IncomingMessage> {
      const outgoing: OutgoingHttpHeaders = {
        accept: 'application/json',
        authorization: `Bearer ${accessToken}`,
        'subscription-id': call.subscriptionId,
        'request-id': call.requestId,
      };
      const hopByHop = connectionNominated(req.headers.connection);
      for (const name of forwardedHeaders) {
        const value = req.headers[name];
        if (value !== undefined && !hopByHop?.has(name)) (outgoing as Record<string, string | string[]>)[name] = value;
      }
      if (body) outgoing['content-length'] = body.length;

      return new Promise((resolve, reject) => {
        const upstreamRequest = transport.request(
          {
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port,
            method,
            path: `${basePath}${target.path}${target.search}`,
            headers: outgoing,
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
          if (!fresh && upstreamRequest.reusedSocket && RETRYABLE_METHODS.has(method) && !exchange.clientGone) {
            // Sockets are handed out last-in first-out: every idle one is older than this dead one.
            dropIdleSockets(options.agent);
            return resolve(send(accessToken, true));
          }
          reject(upstreamUnreachable(error));
        });
        // The browser may have gone while the token was being fetched.
        if (exchange.clientGone) upstreamRequest.destroy(clientGone());
        upstreamRequest.end(body);
      });
    }
  };
}

/** What one proxied call has in flight upstream, for the browser's 'close' listener. */
interface Exchange {
  /** The browser closed the connection before its answer was complete. */
  clientGone: boolean;
  request: http.ClientRequest | undefined;
  response: IncomingMessage | undefined;
  /** Ends the forwarding of the answer early. */
  finish: (() => void) | undefined;
}

/** `/service/v3/appointments/x` → `/service/v3`: the metrics label (the first two segments). */
export function pathPrefix(path: string): string {
  const second = path.indexOf('/', 1);
  if (second === -1) return path;
  const third = path.indexOf('/', second + 1);
  return third === -1 ? path : path.slice(0, third);
}

/** The canonical upstream path and query, or a 400 / 403 problem before anything is sent. */
function checkedTarget(rawTarget: string, method: string, allowedPaths: readonly PathRule[] | null): NormalisedTarget {
  let target: NormalisedTarget;
  try {
    target = normaliseProxyTarget(rawTarget);
  } catch (error) {
    if (!(error instanceof PathRejectedError)) throw error;
    throw new AppError({ status: 400, code: 'bad-api-path', title: 'Bad API path', detail: error.message, extensions: { problem: error.problem } });
  }
  if (!isAllowed(allowedPaths, method, target.path)) {
    throw new AppError({ status: 403, code: 'api-path-not-allowed', title: 'API path not allowed', detail: `This app does not allow ${method} ${target.path}.` });
  }
  return target;
}

/** Status and the headers the browser may see, with the proxy's own protection of the app's origin. */
function sendHeaders(res: Response, status: number, headers: IncomingHttpHeaders, apiBaseUrl: string, json: boolean): void {
  res.status(status);
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  // Without a declared type a browser might guess one; with nosniff (helmet) it will not, and this says why.
  if (headers['content-type'] === undefined) res.setHeader('content-type', 'application/octet-stream');
  res.setHeader('content-security-policy', PROXIED_CSP);
  // fetch() ignores Content-Disposition, so the frontend reads these answers as before; a browser sent to
  // one (a link in a mail) saves it instead of rendering HTML or SVG of the API's on the app's origin.
  if (!json) res.setHeader('content-disposition', 'attachment');
  // A Location into the API becomes the same location through this proxy; anything else is dropped.
  const location = headers.location;
  if (typeof location === 'string' && location.startsWith(`${apiBaseUrl}/`)) {
    res.setHeader('location', `/api/fortellis${location.slice(apiBaseUrl.length)}`);
  }
}

/** `application/json`, `application/problem+json`, `application/vnd.x+json; charset=utf-8`... */
export function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Streams the upstream answer to the browser, respecting back-pressure, after what was already read of it
 * (`prefix`); JSON goes through the link rewriter. Resolves when it has all been handed over, or when
 * either side went away.
 */
function forwardToClient(
  upstream: IncomingMessage,
  res: Response,
  exchange: Exchange,
  prefix: readonly Buffer[] | undefined,
  rewriter: StreamingLinkRewriter | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    // Done with the upstream answer: let go of it, so that whatever keeps `res` alive for a while (the
    // session middleware's end() wrapper can, see README "Performance") does not keep it alive too.
    const done = () => {
      exchange.response = undefined;
      exchange.finish = undefined;
      resolve();
    };
    exchange.finish = done;
    // The prefix is at most INSPECTED_BODY_LIMIT: written at once, back-pressure applies from here on.
    if (prefix) for (const chunk of prefix) res.write(rewriter ? rewriter.push(chunk) : chunk);
    upstream.on('data', (chunk: Buffer) => {
      const out = rewriter ? rewriter.push(chunk) : chunk;
      if (out.length > 0 && !res.write(out)) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
    });
    upstream.once('end', () => {
      const rest = rewriter?.end();
      if (rest && rest.length > 0) res.end(rest);
      else res.end();
      done();
    });
    upstream.once('error', () => {
      res.destroy();
      done();
    });
    // readPrefix() may have paused it.
    upstream.resume();
  });
}

/** The first bytes of an answer; `complete` when that was all of it. */
interface Prefix {
  chunks: Buffer[];
  complete: boolean;
}

/**
 * Reads an upstream answer up to `limit` bytes. Past the limit it stops, paused, with what it has read, so
 * the caller can send the prefix and stream the rest: a long answer is never cut short.
 */
function readPrefix(upstream: IncomingMessage, limit: number): Promise<Prefix> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > limit) {
        upstream.pause();
        stop();
        resolve({ chunks, complete: false });
      }
    };
    const onEnd = () => {
      stop();
      resolve({ chunks, complete: true });
    };
    const onError = (error: Error) => {
      stop();
      reject(upstreamUnreachable(error));
    };
    // Destroyed before the end (the browser went away): settle rather than wait for an 'end' that never comes.
    const onClose = () => {
      stop();
      reject(clientGone());
    };
    const stop = () => {
      upstream.off('data', onData);
      upstream.off('end', onEnd);
      upstream.off('error', onError);
      upstream.off('close', onClose);
    };
    upstream.on('data', onData);
    upstream.on('end', onEnd);
    upstream.on('error', onError);
    upstream.on('close', onClose);
  });
}

/**
 * Reads the browser's body (to be able to replay it once) up to the limit and within the time allowed: a
 * body that trickles in (slowloris) gets 408 and the connection is closed. A browser that leaves in the
 * middle is a 499, not an error of ours.
 */
function readBody(req: Request, res: Response, limit: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error: AppError | undefined) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      if (!error) return resolve(Buffer.concat(chunks));
      // What is left of the body is not worth waiting for; keep reading it into nothing until the socket closes.
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return settle(bodyTooLarge(limit));
      chunks.push(chunk);
    };
    const onEnd = () => settle(undefined);
    const onGone = () => settle(clientGone());
    const timer = setTimeout(() => {
      res.setHeader('connection', 'close');
      settle(bodyTimeout(timeoutMs));
    }, timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/** Closes the agent's idle connections (after one of them turned out to be dead). */
function dropIdleSockets(agent: http.Agent): void {
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const socket of [...(sockets ?? [])]) socket.destroy();
  }
}

function concat(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function parseJson(chunks: readonly Buffer[]): unknown {
  try {
    return JSON.parse(concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

const bodyTooLarge = (limit: number) =>
  new AppError({ status: 413, code: 'body-too-large', title: 'Request body too large', detail: `Request bodies are limited to ${limit} bytes.` });

const bodyTimeout = (timeoutMs: number) =>
  new AppError({
    status: 408,
    code: 'body-timeout',
    title: 'Request body too slow',
    detail: `The request body did not arrive within ${timeoutMs} ms.`,
  });

const methodNotProxied = (method: string) =>
  new AppError({
    status: 405,
    code: 'method-not-proxied',
    title: 'Method not allowed',
    detail: `The API proxy does not forward ${method} requests. It forwards ${ALLOW}.`,
  });

const upstreamTimeout = (timeoutMs: number) =>
  new AppError({
    status: 504,
    code: 'fortellis-timeout',
    title: 'Fortellis did not answer in time',
    detail: `Fortellis did not answer within ${timeoutMs} ms. Try again in a moment.`,
  });

const upstreamUnreachable = (error: Error) =>
  new AppError({
    status: 502,
    code: 'fortellis-unreachable',
    title: 'Fortellis could not be reached',
    detail: 'The app could not reach Fortellis. Try again in a moment.',
    logDetail: `upstream connection failed: ${(error as NodeJS.ErrnoException).code ?? error.message}`,
    cause: error,
  });

const clientGone = () => new AppError({ status: 499, code: 'client-closed-request', title: 'Client closed request' });
