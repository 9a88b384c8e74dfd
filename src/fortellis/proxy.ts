import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../core/errors';
import { type GatewayErrorCode } from './gateway-errors';
import type { PathRule } from './path-policy';
import type { TokenProvider } from './token-provider';
import { forwardedRequestHeaders } from './header-policy';
import { createLinkRewriter, type StreamingLinkRewriter } from './link-rewrite';
import {
  ALLOW,
  attemptHeaders,
  classifyErrorAnswer,
  gatewayProblem,
  INSPECTED_BODY_LIMIT,
  pathPrefix,
  planDelivery,
  planUpstreamRequest,
  type ProxyCall,
  type UpstreamPlan,
} from './proxy-plan';
import { clientGone, type AnswerBody, type BodyPrefix, type Exchange, type UpstreamAnswer, type UpstreamTransport } from './upstream-transport';

export { INSPECTED_BODY_LIMIT, pathPrefix, PROXIED_METHODS, isJson, type ProxyCall } from './proxy-plan';

/**
 * The API proxy: `/api/fortellis/<path>` → `FORTELLIS_API_BASE_URL/<path>`, with the app's token, the
 * session's Subscription-Id and a fresh Request-Id. Framework-free: it takes Node's request and response,
 * runs the pure decisions of proxy-plan.ts, sends through an UpstreamTransport, and returns what the
 * request's log line needs. It streams answers through (axios would buffer and re-encode every body);
 * error answers are read (up to a limit) so that Fortellis gateway codes can be recognised and explained,
 * and links to the API host in JSON answers are rewritten to go through the proxy.
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
  /** How requests reach the API host: one per process, so that connections are reused (UpstreamPool). */
  transport: UpstreamTransport;
  /** Called once per proxied call with the upstream status (0 when there was no answer). */
  onUpstreamResponse?: (info: { pathPrefix: string; status: number; durationMs: number }) => void;
}

/** What a proxied call's log line and metrics need to know, handed back rather than left on the response. */
export interface ProxyOutcome {
  /** The status Fortellis answered (the last attempt's), when it answered. */
  upstreamStatus: number | undefined;
  /** The problem the browser is to be told (nothing was sent yet), when the call did not go through. */
  error: AppError | undefined;
}

/** A proxy bound to its configuration: one call per browser request. */
export type FortellisProxy = (req: IncomingMessage, res: ServerResponse, call: ProxyCall) => Promise<ProxyOutcome>;

export function createFortellisProxy(options: ProxyOptions): FortellisProxy {
  const base = new URL(options.apiBaseUrl);
  const policy = { basePath: base.pathname.replace(/\/$/, ''), allowedPaths: options.allowedPaths, forwardedHeaders: forwardedRequestHeaders(options.forwardHeaders ?? []) };
  const { transport } = options;
  const links = createLinkRewriter(options.apiBaseUrl, '/api/fortellis');

  /**
   * Handles one browser request. `req.url` is the part below `/api/fortellis`. Expected failures come back
   * as `outcome.error` (the adapter answers them); only bugs throw.
   *
   * This runs for every API call, so it keeps per-call work small (see README, "Performance"): one 'close'
   * listener on the browser's response for the whole call instead of one per upstream attempt, the answer
   * forwarded chunk by chunk without `pipe()` (which attaches half a dozen listeners per call), and nothing
   * computed for metrics that nobody reads.
   */
  return async function proxy(req, res, call) {
    const outcome: ProxyOutcome = { upstreamStatus: undefined, error: undefined };
    let plan: UpstreamPlan;
    try {
      plan = planUpstreamRequest(req.method!, req.url!, req.headers, call, policy);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.status === 405) res.setHeader('Allow', ALLOW);
      outcome.error = error;
      return outcome;
    }

    // A browser that goes away takes the upstream exchange in flight with it. Prepended, so that the
    // request log line (written on 'close' too) already reads 499.
    const exchange: Exchange = { clientGone: false, abort: undefined, body: undefined, finish: undefined };
    res.prependListener('close', () => {
      if (res.writableFinished) return;
      exchange.clientGone = true;
      if (!res.headersSent) res.statusCode = 499;
      exchange.abort?.();
      exchange.body?.destroy();
      exchange.finish?.();
    });
    try {
      await relay(req, res, plan, exchange, outcome);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      outcome.error = error;
    }
    return outcome;
  };

  async function relay(req: IncomingMessage, res: ServerResponse, plan: UpstreamPlan, exchange: Exchange, outcome: ProxyOutcome): Promise<void> {
    const body = plan.readsBody ? await readBody(req, res, options.bodyLimitBytes, options.bodyTimeoutMs) : undefined;
    const started = performance.now();
    const send = (accessToken: string) =>
      transport.send({ method: plan.method, path: plan.path, headers: attemptHeaders(plan, accessToken, body), body, retryable: plan.retryable }, exchange);

    let token = await options.tokens.getToken();
    let upstream = await send(token.value);
    let inspected: BodyPrefix | undefined;
    let gatewayCode: GatewayErrorCode | undefined;
    if (upstream.statusCode >= 400) {
      inspected = await upstream.body.readPrefix(INSPECTED_BODY_LIMIT);
      const verdict = classifyErrorAnswer(inspected.complete ? concat(inspected.chunks) : undefined);
      gatewayCode = verdict.gatewayCode;
      // The token was revoked or expired early: drop it (if still ours), get one fresh token, replay once.
      if (verdict.replay) {
        ({ upstream, inspected, gatewayCode } = await replayWithFreshToken(token.value, send));
      }
    }
    const status = upstream.statusCode;
    options.onUpstreamResponse?.({ pathPrefix: pathPrefix(plan.apiPath), status, durationMs: performance.now() - started });
    outcome.upstreamStatus = status;
    if (gatewayCode) throw gatewayProblem(gatewayCode, status, plan);

    const delivery = planDelivery(plan.method, status, upstream.headers, options.apiBaseUrl);
    res.statusCode = status;
    for (const name in delivery.headers) res.setHeader(name, delivery.headers[name]!);
    if (delivery.bodyless) {
      if (delivery.declaredLength !== undefined) res.setHeader('content-length', delivery.declaredLength);
      res.end();
      upstream.body.discard();
      return;
    }
    // A small JSON answer is read whole: its links are rewritten and its length stays exact.
    if (!inspected && delivery.readWhole) inspected = await upstream.body.readPrefix(INSPECTED_BODY_LIMIT);
    if (inspected?.complete) {
      const whole = concat(inspected.chunks);
      const answer = delivery.rewriteLinks ? links.rewrite(whole) : whole;
      res.setHeader('content-length', answer.length);
      res.end(answer);
      return;
    }
    // Streamed: JSON through the streaming rewriter (its length may change, so none is declared), anything
    // else byte for byte with the upstream's length.
    if (!delivery.rewriteLinks && delivery.declaredLength !== undefined) res.setHeader('content-length', delivery.declaredLength);
    await forwardToClient(upstream.body, res, exchange, inspected?.chunks, delivery.rewriteLinks ? links.stream() : undefined);
  }

  /** The one replay: the refused token is dropped (only if it is still the current one) and a fresh one used. */
  async function replayWithFreshToken(refused: string, send: (accessToken: string) => Promise<UpstreamAnswer>) {
    await options.tokens.invalidate(refused);
    const token = await options.tokens.getToken();
    const upstream = await send(token.value);
    if (upstream.statusCode < 400) return { upstream, inspected: undefined, gatewayCode: undefined };
    const inspected = await upstream.body.readPrefix(INSPECTED_BODY_LIMIT);
    return { upstream, inspected, gatewayCode: classifyErrorAnswer(inspected.complete ? concat(inspected.chunks) : undefined).gatewayCode };
  }
}

/**
 * Streams the upstream answer to the browser, respecting back-pressure, after what was already read of it
 * (`prefix`); JSON goes through the link rewriter. Resolves when it has all been handed over, or when
 * either side went away.
 */
function forwardToClient(
  upstream: AnswerBody,
  res: ServerResponse,
  exchange: Exchange,
  prefix: readonly Buffer[] | undefined,
  rewriter: StreamingLinkRewriter | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    // Done with the upstream answer: let go of it, so that whatever keeps `res` alive for a while does not
    // keep it alive too.
    const done = () => {
      exchange.body = undefined;
      exchange.finish = undefined;
      resolve();
    };
    exchange.finish = done;
    // The prefix is at most INSPECTED_BODY_LIMIT: written at once, back-pressure applies from here on.
    if (prefix) for (const chunk of prefix) res.write(rewriter ? rewriter.push(chunk) : chunk);
    upstream.forward({
      chunk(chunk) {
        const out = rewriter ? rewriter.push(chunk) : chunk;
        if (out.length === 0 || res.write(out)) return true;
        res.once('drain', () => upstream.resume());
        return false;
      },
      end() {
        const rest = rewriter?.end();
        if (rest && rest.length > 0) res.end(rest);
        else res.end();
        done();
      },
      error() {
        res.destroy();
        done();
      },
    });
  });
}

/**
 * Reads the browser's body (to be able to replay it once) up to the limit and within the time allowed: a
 * body that trickles in (slowloris) gets 408 and the connection is closed. A browser that leaves in the
 * middle is a 499, not an error of ours.
 */
function readBody(req: IncomingMessage, res: ServerResponse, limit: number, timeoutMs: number): Promise<Buffer> {
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

function concat(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
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

