import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Request, Response } from 'express';
import { AppError } from '../http/errors';
import { describeGatewayCode, findGatewayCode, type GatewayErrorCode } from './gateway-errors';
import { isAllowed, normaliseProxyTarget, PathRejectedError, type NormalisedTarget, type PathRule } from './path-policy';
import type { TokenProvider } from './token-provider';

/**
 * The API proxy: `/api/fortellis/<path>` → `FORTELLIS_API_BASE_URL/<path>`, with the app's token, the
 * session's Subscription-Id and a fresh Request-Id. It streams successful answers straight through with
 * Node's http client and keep-alive agents (axios would buffer and re-encode every body); error answers are
 * read so that Fortellis gateway codes can be recognised and explained.
 */

export interface ProxyOptions {
  apiBaseUrl: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  allowedPaths: readonly PathRule[] | null;
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

/** Request headers a browser may pass on; everything else (Cookie, Authorization, Subscription-Id...) stays here. */
const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-language', 'content-type', 'if-match', 'if-none-match', 'prefer'] as const;

/** Response headers safe to give the browser. Set-Cookie and hop-by-hop headers never pass. */
const RETURNED_RESPONSE_HEADERS = ['content-type', 'content-language', 'etag', 'last-modified', 'retry-after', 'preference-applied'] as const;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Up to this many bytes of an upstream error body are read to find a Fortellis code. */
const ERROR_BODY_LIMIT = 64 * 1024;

export function createFortellisProxy(options: ProxyOptions) {
  const base = new URL(options.apiBaseUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  const transport = base.protocol === 'https:' ? https : http;

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
    const target = checkedTarget(req.url, req.method, options.allowedPaths);
    const body = METHODS_WITH_BODY.has(req.method) ? await readBody(req, options.bodyLimitBytes) : undefined;
    const started = performance.now();

    // A browser that goes away takes the upstream exchange in flight with it.
    const exchange: Exchange = { clientGone: false, request: undefined, response: undefined, finish: undefined };
    res.on('close', () => {
      if (res.writableFinished) return;
      exchange.clientGone = true;
      exchange.request?.destroy(clientGone());
      exchange.response?.destroy();
      exchange.finish?.();
    });

    let token = await options.tokens.getToken();
    let upstream = await send(token.value);
    let gatewayCode: GatewayErrorCode | undefined;
    let errorBody: Buffer | undefined;
    if (upstream.statusCode! >= 400) {
      errorBody = await readUpstream(upstream, ERROR_BODY_LIMIT);
      gatewayCode = findGatewayCode(parseJson(errorBody));
      // The token was revoked or expired early: drop it (if still ours), get one fresh token, replay once.
      if (gatewayCode && describeGatewayCode(gatewayCode).tokenProblem) {
        await options.tokens.invalidate(token.value);
        token = await options.tokens.getToken();
        upstream = await send(token.value);
        errorBody = undefined;
        gatewayCode = undefined;
        if (upstream.statusCode! >= 400) {
          errorBody = await readUpstream(upstream, ERROR_BODY_LIMIT);
          gatewayCode = findGatewayCode(parseJson(errorBody));
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
        logDetail: `upstream ${req.method} ${target.path} answered ${status} ${gatewayCode}`,
        extensions: { party: info.party },
      });
    }

    res.status(status);
    copyResponseHeaders(upstream.headers, res, options.apiBaseUrl);
    if (errorBody) {
      res.setHeader('content-length', errorBody.length);
      res.end(errorBody);
      return;
    }
    await forwardToClient(upstream, res, exchange);

    function send(accessToken: string): Promise<IncomingMessage> {
      const headers: OutgoingHttpHeaders = {
        accept: 'application/json',
        authorization: `Bearer ${accessToken}`,
        'subscription-id': call.subscriptionId,
        'request-id': call.requestId,
      };
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const value = req.headers[name];
        if (value !== undefined) (headers as Record<string, string | string[]>)[name] = value;
      }
      if (body) headers['content-length'] = body.length;

      return new Promise((resolve, reject) => {
        const upstreamRequest = transport.request(
          {
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port,
            method: req.method,
            path: `${basePath}${target.path}${target.search}`,
            headers,
            agent: options.agent,
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
        upstreamRequest.on('error', (error) => reject(error instanceof AppError ? error : upstreamUnreachable(error)));
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

function copyResponseHeaders(headers: IncomingHttpHeaders, res: Response, apiBaseUrl: string): void {
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  if (headers['content-length'] !== undefined) res.setHeader('content-length', headers['content-length']);
  // Without a declared type a browser might guess one; with nosniff (helmet) it will not, and this says why.
  if (headers['content-type'] === undefined) res.setHeader('content-type', 'application/octet-stream');
  // A Location into the API becomes the same location through this proxy; anything else is dropped.
  const location = headers.location;
  if (typeof location === 'string' && location.startsWith(`${apiBaseUrl}/`)) {
    res.setHeader('location', `/api/fortellis${location.slice(apiBaseUrl.length)}`);
  }
}

/**
 * Streams the upstream answer to the browser, respecting back-pressure; resolves when it has all been
 * handed over, or when either side went away.
 */
function forwardToClient(upstream: IncomingMessage, res: Response, exchange: Exchange): Promise<void> {
  return new Promise((resolve) => {
    // Done with the upstream answer: let go of it, so that whatever keeps `res` alive for a while (the
    // session middleware's end() wrapper can, see README "Performance") does not keep it alive too.
    const done = () => {
      exchange.response = undefined;
      exchange.finish = undefined;
      resolve();
    };
    exchange.finish = done;
    upstream.on('data', (chunk: Buffer) => {
      if (!res.write(chunk)) {
        upstream.pause();
        res.once('drain', () => upstream.resume());
      }
    });
    upstream.once('end', () => {
      res.end();
      done();
    });
    upstream.once('error', () => {
      res.destroy();
      done();
    });
  });
}

function readUpstream(upstream: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    upstream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    upstream.once('end', () => resolve(Buffer.concat(chunks)));
    upstream.once('error', (error) => reject(upstreamUnreachable(error)));
    // Destroyed before the end (the browser went away): settle rather than wait for an 'end' that never comes.
    upstream.once('close', () => reject(clientGone()));
  });
}

/** Reads the browser's body (to be able to replay it once) up to the limit. */
function readBody(req: Request, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(bodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(bodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const bodyTooLarge = (limit: number) =>
  new AppError({ status: 413, code: 'body-too-large', title: 'Request body too large', detail: `Request bodies are limited to ${limit} bytes.` });

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
