import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { AppError } from '../core/errors';
import { describeGatewayCode, findGatewayCode, type GatewayErrorCode } from './gateway-errors';
import { connectionNominated } from './header-policy';
import { isAllowed, normaliseProxyTarget, PathRejectedError, type PathRule } from './path-policy';

/**
 * The proxy's decisions as pure functions over plain data: what to send upstream for a browser's request
 * (method check, path, headers, body policy), and what to make of the answer (gateway code, replay or not,
 * link rewriting, which headers the browser sees). No sockets, no streams, no framework: proxy.ts runs
 * them, and tests can call them with plain objects.
 */

/**
 * The methods Fortellis APIs are called with. Anything else (TRACE, CONNECT, WebDAV's PROPFIND, QUERY...)
 * would go out with the app's token to an API that has no use for it, and TRACE echoes the token back:
 * 405. OPTIONS is left out too: it only matters for CORS preflights, which a browser sends to the proxy's
 * origin, never through it.
 */
export const PROXIED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
export const ALLOW = [...PROXIED_METHODS].join(', ');

/**
 * The proxied methods that are idempotent (RFC 9110 §9.2.2) and so may be sent again when a kept-alive
 * connection turns out to be dead; "a proxy MUST NOT automatically retry non-idempotent requests" (POST, PATCH).
 */
const RETRYABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

const METHODS_WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Response headers safe to give the browser. Set-Cookie and hop-by-hop headers never pass. */
const RETURNED_RESPONSE_HEADERS = ['content-type', 'content-language', 'etag', 'last-modified', 'retry-after', 'preference-applied'] as const;

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
export const PROXIED_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** Who the call is for: the session's dealer and the browser request's id. */
export interface ProxyCall {
  subscriptionId: string;
  requestId: string;
}

/** What the proxy's configuration fixes for every call. */
export interface ProxyPolicy {
  /** FORTELLIS_API_BASE_URL's path without a trailing slash ('' for a bare host). */
  basePath: string;
  allowedPaths: readonly PathRule[] | null;
  /** Request headers copied from the browser (the defaults and PROXY_FORWARD_HEADERS). */
  forwardedHeaders: readonly string[];
}

/** The upstream request for one browser request, before a token is added. */
export interface UpstreamPlan {
  method: string;
  /** The canonical API path (below the base path), for messages and the metrics label. */
  apiPath: string;
  /** Path and query as sent upstream (base path included). */
  path: string;
  /** Headers without Authorization (added per attempt) and Content-Length (added once the body is read). */
  headers: Record<string, string | string[]>;
  /** The browser's body must be read (and buffered, for a replay). */
  readsBody: boolean;
  /** May be sent once more on a fresh connection when a kept-alive one turns out dead. */
  retryable: boolean;
}

/**
 * Plans the upstream request for `method` and `rawTarget` (the part of the URL below `/api/fortellis`), or
 * throws the AppError the browser is told: 405 (with `allow`), 400 for a bad path, 403 for a path the
 * configuration does not allow.
 */
export function planUpstreamRequest(method: string, rawTarget: string, browserHeaders: IncomingHttpHeaders, call: ProxyCall, policy: ProxyPolicy): UpstreamPlan {
  if (!PROXIED_METHODS.has(method)) throw methodNotProxied(method);
  let target;
  try {
    target = normaliseProxyTarget(rawTarget);
  } catch (error) {
    if (!(error instanceof PathRejectedError)) throw error;
    throw new AppError({ status: 400, code: 'bad-api-path', title: 'Bad API path', detail: error.message, extensions: { problem: error.problem } });
  }
  if (!isAllowed(policy.allowedPaths, method, target.path)) {
    throw new AppError({ status: 403, code: 'api-path-not-allowed', title: 'API path not allowed', detail: `This app does not allow ${method} ${target.path}.` });
  }
  const headers: Record<string, string | string[]> = {
    accept: 'application/json',
    'subscription-id': call.subscriptionId,
    'request-id': call.requestId,
  };
  const hopByHop = connectionNominated(browserHeaders.connection);
  for (const name of policy.forwardedHeaders) {
    const value = browserHeaders[name];
    if (value !== undefined && !hopByHop?.has(name)) headers[name] = value;
  }
  return {
    method,
    apiPath: target.path,
    path: `${policy.basePath}${target.path}${target.search}`,
    headers,
    readsBody: METHODS_WITH_BODY.has(method),
    retryable: RETRYABLE_METHODS.has(method),
  };
}

/** The headers of one attempt: the plan's, the token, and the body's length. */
export function attemptHeaders(plan: UpstreamPlan, accessToken: string, body: Buffer | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...plan.headers, authorization: `Bearer ${accessToken}` };
  if (body) headers['content-length'] = body.length;
  return headers;
}

/** What an error answer's first bytes say. */
export interface ErrorVerdict {
  /** The Fortellis gateway code it names, if any (API errors of the API's own pass through). */
  gatewayCode: GatewayErrorCode | undefined;
  /** The token was refused (expired or revoked early): drop it, get a fresh one, replay the call once. */
  replay: boolean;
}

/** Classifies an error answer from its body (`complete`: all of it was read; a longer one is no gateway error). */
export function classifyErrorAnswer(body: Buffer | undefined): ErrorVerdict {
  const gatewayCode = body ? findGatewayCode(parseJson(body)) : undefined;
  return { gatewayCode, replay: gatewayCode !== undefined && describeGatewayCode(gatewayCode).tokenProblem === true };
}

/** The problem the browser gets for a gateway code. */
export function gatewayProblem(code: GatewayErrorCode, status: number, plan: UpstreamPlan): AppError {
  const info = describeGatewayCode(code);
  return new AppError({
    status,
    code: 'fortellis-error',
    title: `Fortellis answered ${code}`,
    detail: info.explanation,
    fortellisCode: code,
    logDetail: `upstream ${plan.method} ${plan.apiPath} answered ${status} ${code}`,
    extensions: { party: info.party },
  });
}

/** How an answer that is not a gateway error goes to the browser. */
export interface DeliveryPlan {
  /** No body at all (HEAD, 204, 304): headers, then end. */
  bodyless: boolean;
  /** A JSON answer whose links to the API host are rewritten (never a compressed one). */
  rewriteLinks: boolean;
  /** Read whole before sending (a small declared-length JSON answer): exact length after rewriting. */
  readWhole: boolean;
  /** The upstream's Content-Length, passed on when the body is sent as it is. */
  declaredLength: number | undefined;
  /** Status and headers for the browser (Content-Length decided by the delivery). */
  headers: OutgoingHttpHeaders;
}

/** Decides how an answer goes to the browser: which headers it sees and whether its body is rewritten. */
export function planDelivery(method: string, status: number, upstream: IncomingHttpHeaders, apiBaseUrl: string): DeliveryPlan {
  const json = isJson(upstream['content-type']);
  const rewriteLinks = json && upstream['content-encoding'] === undefined;
  const declaredLength = upstream['content-length'] === undefined ? undefined : Number(upstream['content-length']);
  return {
    bodyless: method === 'HEAD' || status === 204 || status === 304,
    rewriteLinks,
    readWhole: rewriteLinks && declaredLength !== undefined && declaredLength <= INSPECTED_BODY_LIMIT,
    declaredLength,
    headers: browserHeaders(upstream, apiBaseUrl, json),
  };
}

/** The headers the browser may see, with the proxy's own protection of the app's origin. */
export function browserHeaders(upstream: IncomingHttpHeaders, apiBaseUrl: string, json: boolean): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = upstream[name];
    if (value !== undefined) headers[name] = value as string;
  }
  // Without a declared type a browser might guess one; with nosniff it will not, and this says why.
  if (upstream['content-type'] === undefined) headers['content-type'] = 'application/octet-stream';
  headers['content-security-policy'] = PROXIED_CSP;
  // fetch() ignores Content-Disposition, so the frontend reads these answers as before; a browser sent to
  // one (a link in a mail) saves it instead of rendering HTML or SVG of the API's on the app's origin.
  if (!json) headers['content-disposition'] = 'attachment';
  // A Location into the API becomes the same location through this proxy; anything else is dropped.
  const location = upstream.location;
  if (typeof location === 'string' && location.startsWith(`${apiBaseUrl}/`)) {
    headers.location = `/api/fortellis${location.slice(apiBaseUrl.length)}`;
  }
  return headers;
}

/** `/service/v3/appointments/x` → `/service/v3`: the metrics label (the first two segments). */
export function pathPrefix(path: string): string {
  const second = path.indexOf('/', 1);
  if (second === -1) return path;
  const third = path.indexOf('/', second + 1);
  return third === -1 ? path : path.slice(0, third);
}

/** `application/json`, `application/problem+json`, `application/vnd.x+json; charset=utf-8`... */
export function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

const methodNotProxied = (method: string) =>
  new AppError({
    status: 405,
    code: 'method-not-proxied',
    title: 'Method not allowed',
    detail: `The API proxy does not forward ${method} requests. It forwards ${ALLOW}.`,
  });
