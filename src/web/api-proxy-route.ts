import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { unsign } from 'cookie-signature';
import type { Express } from 'express';
import type { SessionData } from 'express-session';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { SessionTimeouts } from './guards';
import type { FortellisProxy } from '../fortellis/proxy';
import type { RecentActivity } from '../session/recent-activity';
import type { SessionBackend } from '../session/session-backend';
import { crossSiteRefusal, isUnsafe, readCookie, tokensMatch } from './csrf';
import { AppError, csrfRejected, notSignedIn } from '../core/errors';
import { writeProblem, type FaultLog } from './error-handler';
import { hostRefusal, requestHostname, type TrustProxy } from './host-check';
import { overloaded, type InFlightCap } from './in-flight-cap';
import type { AppMetrics } from './metrics';
import { accessEntry, callActor, NO_ACTOR, type CallActor } from '../access-log/record-proxied-calls';
import type { AccessLogWriter } from '../access-log/writer';
import { finishRequest, withoutQuery } from './request-context';

/**
 * `/api/fortellis/*`, answered without Express: the HTTP server hands these requests straight to this
 * handler, as Node's own request and response objects (src/web/server.ts), and the Express app mounts the
 * same handler first for whoever serves the app alone (supertest). Every proxied call would otherwise walk a
 * dozen layers (helmet's headers, static files, health routes, express-session with its hashing of the
 * session and its wrapping of `res.end`, the /api router) to reach a handler that needs little of them.
 * Every defence stays, in the same order, with the same pure checks the stack runs (README, "Performance"):
 *
 * Request-Id; the in-flight cap; Cache-Control: no-store and the headers that matter for an API answer;
 * the Host check (DNS rebinding); Fetch-Metadata / Origin refusal of cross-site unsafe requests; the
 * session (signed cookie, read from the session backend: the same record express-session reads), its
 * absolute lifetime, its throttled touch; signed in; the CSRF token on unsafe methods; a dealer selected;
 * then the proxy; one log line and the metrics at the end, with what the proxy handed back.
 *
 * The route does not change the session, so nothing is ever written but the throttled touch.
 */

export const API_PROXY_PREFIX = '/api/fortellis';

export interface ApiProxyRouteOptions {
  proxy: FortellisProxy;
  sessions: SessionBackend;
  /** The session cookie's name and the secrets it may be signed with (the first signs, all verify). */
  cookieName: string;
  secrets: readonly string[];
  timeouts: SessionTimeouts;
  clock: Clock;
  /** Host names the app answers to (ALLOWED_HOSTS with PUBLIC_URL's). */
  allowedHosts: readonly string[];
  /** Express' compiled TRUST_PROXY, for the host name behind a proxy (X-Forwarded-Host). */
  trustProxy: TrustProxy;
  publicUrl: string;
  inFlight: InFlightCap;
  /** HSTS on API answers too (PUBLIC_URL is https). */
  https: boolean;
  metrics: AppMetrics;
  logger: Logger;
  faults: FaultLog;
  activity: RecentActivity;
  /** One entry per call, signed in or not (FTC Safeguards Rule; src/access-log/). */
  accessLog: Pick<AccessLogWriter, 'record'>;
}

const ROUTE_LABEL = '/api/fortellis/*';

/** What the call's log line and access-log entry need, filled in as the call goes. */
interface Finished {
  userId: string | undefined;
  upstreamStatus: number | undefined;
  actor: CallActor;
}
/** Verified session cookies remembered (about 150 bytes each). */
const VERIFIED_COOKIES = 10_000;

const noSubscription = () =>
  new AppError({
    status: 403,
    code: 'no-subscription',
    title: 'No dealer selected',
    detail: 'Your account is not linked to any dealer subscription yet. Ask an administrator to link one.',
  });

/** Whether `url` is under the proxy's prefix: `/api/fortellis`, `/api/fortellis/...` or `/api/fortellis?...`. */
export function isProxyUrl(url: string): boolean {
  if (!url.startsWith(API_PROXY_PREFIX)) return false;
  const next = url.charCodeAt(API_PROXY_PREFIX.length);
  return Number.isNaN(next) || next === 0x2f /* / */ || next === 0x3f; /* ? */
}

/**
 * The headers of every API answer that are not the proxy's own (it adds its CSP and Content-Disposition):
 * what protects a JSON answer. Helmet's full set is for pages (CSP for scripts and forms, COOP, framing),
 * which an API answer is not; the answer's own CSP forbids framing and sandboxes it.
 */
function apiHeaders(https: boolean): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ['Cache-Control', 'no-store'],
    ['X-Content-Type-Options', 'nosniff'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['X-Frame-Options', 'DENY'],
  ];
  if (https) headers.push(['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']);
  return headers;
}

/** Answers one request under the proxy's prefix (isProxyUrl), on Node's own objects. */
export type ApiProxyHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The handler for the proxy's prefix. */
export function apiProxyRoute(options: ApiProxyRouteOptions): ApiProxyHandler {
  const hosts = new Set(options.allowedHosts);
  const publicOrigin = new URL(options.publicUrl).origin;
  const headers = apiHeaders(options.https);
  const { sessions, clock, timeouts } = options;

  // Cookie values (as the browser sends them, still URL-encoded) whose signature was verified, and the
  // session id they carry: a browser sends the same cookie on every call, and decoding it and the HMAC were
  // a tenth of the route's own cost. Only good signatures are kept (the key is the whole signed value, so a
  // forged one never matches), bounded like TouchThrottle.
  const verified = new Map<string, string>();
  function verifiedSid(raw: string): string | undefined {
    const known = verified.get(raw);
    if (known !== undefined) return known;
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    // express-session's format: `s:` + cookie-signature's signed value.
    if (!value.startsWith('s:')) return undefined;
    for (const secret of options.secrets) {
      const sid = unsign(value.slice(2), secret);
      if (sid === false) continue;
      if (verified.size >= VERIFIED_COOKIES) verified.clear();
      verified.set(raw, sid);
      return sid;
    }
    return undefined;
  }

  /** The session of the request's signed cookie, or undefined (no cookie, a bad signature, no record). */
  async function loadSession(req: IncomingMessage): Promise<{ sid: string; data: Readonly<SessionData> } | undefined> {
    const raw = readCookie(req.headers.cookie, options.cookieName);
    if (raw === undefined) return undefined;
    const sid = verifiedSid(raw);
    if (sid === undefined) return undefined;
    // Read only here: the route never changes the session.
    const data = await sessions.peek(sid);
    if (!data) return undefined;
    // The absolute lifetime (enforceAbsoluteLifetime): an older session ends here.
    if (data.signedInAt !== undefined && clock.now() >= data.signedInAt + timeouts.absoluteTimeoutMs) {
      await sessions.destroy(sid);
      return undefined;
    }
    return { sid, data };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, finished: Finished): Promise<AppError | undefined> {
    const method = req.method!;
    const refused = hostRefusal(hosts, requestHostname(req, options.trustProxy)) ?? crossSiteRefusal(method, req.headers, publicOrigin);
    if (refused) return refused;
    const session = await loadSession(req);
    if (!session || typeof session.data.userId !== 'string') {
      if (session) finished.actor = callActor(session.data);
      return notSignedIn();
    }
    finished.userId = session.data.userId;
    finished.actor = callActor(session.data);
    if (isUnsafe(method) && !tokensMatch(session.data.csrfToken, req.headers['x-csrf-token'])) {
      return csrfRejected('The request lacks a valid CSRF token. Reload the page and try again.');
    }
    // What express-session does at the end of every request of an unchanged session, done before the
    // answer so that the next request sees it; throttled by the backend, a failure only logged.
    await sessions.touch(session.sid, session.data).catch((error: unknown) => void options.faults.record(error, requestId));
    options.activity.recordProxiedCall(session.sid, requestId);
    const subscriptionId = session.data.subscriptionId;
    if (!subscriptionId) return noSubscription();
    // The proxy sees the path below its prefix, as a router mounted at the prefix would give it.
    const url = req.url!;
    req.url = url.length === API_PROXY_PREFIX.length || url.charCodeAt(API_PROXY_PREFIX.length) === 0x3f ? `/${url.slice(API_PROXY_PREFIX.length)}` : url.slice(API_PROXY_PREFIX.length);
    try {
      const outcome = await options.proxy(req, res, { subscriptionId, requestId });
      finished.upstreamStatus = outcome.upstreamStatus;
      return outcome.error;
    } finally {
      req.url = url;
    }
  }

  return (req, res) => {
    const started = performance.now();
    const at = clock.now();
    const requestId = randomUUID();
    const method = req.method!;
    res.setHeader('Request-Id', requestId);
    options.metrics.requestStarted();
    const finished: Finished = { userId: undefined, upstreamStatus: undefined, actor: NO_ACTOR };
    const path = withoutQuery(req.url!);
    // One listener does all the end-of-call work, the in-flight count included ('close' comes once, for
    // finished and abandoned answers alike).
    const counted = options.inFlight.take();
    res.on('close', () => {
      if (counted) options.inFlight.release();
      finishRequest(options, res, { requestId, route: ROUTE_LABEL, method, path, userId: finished.userId, upstreamStatus: finished.upstreamStatus, started });
      const apiPath = path.length === API_PROXY_PREFIX.length ? '/' : path.slice(API_PROXY_PREFIX.length);
      options.accessLog.record(accessEntry({ at, actor: finished.actor, method, path: apiPath, status: res.statusCode, requestId, durationMs: performance.now() - started }));
    });
    for (const [name, value] of headers) res.setHeader(name, value);
    if (!counted) return answer(req, res, overloaded(), requestId);
    handle(req, res, requestId, finished).then(
      (error) => error && answer(req, res, error, requestId),
      (error: unknown) => answer(req, res, error, requestId),
    );
  };

  function answer(req: IncomingMessage, res: ServerResponse, error: unknown, requestId: string): void {
    writeProblem(req, res, options.faults.record(error, requestId), requestId);
  }
}

const handlers = new WeakMap<Express, ApiProxyHandler>();

/**
 * Mounts `handler` first in `app`, for the proxy's prefix, and records it, so that the HTTP server of the
 * app (createHttpServer) can call it before Express: the same handler either way.
 */
export function mountApiProxy(app: Express, handler: ApiProxyHandler): void {
  handlers.set(app, handler);
  app.use((req, res, next) => (isProxyUrl(req.url) ? handler(req, res) : next()));
}

/** The handler mounted in `app` by mountApiProxy, if any. */
export function apiProxyHandlerOf(app: Express): ApiProxyHandler | undefined {
  return handlers.get(app);
}
