import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '../lib/logger';
import type { AppMetrics } from './metrics';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Unique per browser request: sent to Fortellis as Request-Id, returned to the browser, in every log line. */
    requestId: string;
    /** Status Fortellis answered, when the request was proxied. */
    upstreamStatus?: number;
    /** Route pattern for metrics, for handlers mounted with use() (they have no req.route). */
    routeLabel?: string;
  }
}

/** A low-cardinality name for what was asked: the route pattern, never the raw path. */
function routeLabel(req: Request, res: Response): string {
  if (res.locals.routeLabel) return res.locals.routeLabel;
  if (req.route?.path) return `${req.baseUrl}${String(req.route.path)}`;
  return 'unmatched';
}

export interface RequestContextOptions {
  logger: Logger;
  metrics: AppMetrics;
  /** Paths that are not worth a log line each (health checks, static files). */
  quietPrefixes?: string[];
}

/**
 * Gives each request its Request-Id, counts it in the metrics, and writes one structured line when it ends:
 * id, user id (never the name), method, path without the query string, status, duration, upstream status. A hand-written
 * middleware rather than pino-http, which builds two child loggers per request for the same line.
 */
export function requestContext(options: RequestContextOptions): RequestHandler {
  const quiet = options.quietPrefixes ?? [];
  const { metrics } = options;
  // Every proxied API call runs this, so it allocates little: no per-request closures beyond the one
  // 'close' listener, no arrays from split(), no object spreads.
  return (req, res, next) => {
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('Request-Id', requestId);
    if (startsWithAny(req.path, quiet)) return next();

    const started = performance.now();
    metrics.requestStarted();
    res.on('close', () => {
      finishRequest(options, res, {
        requestId,
        route: routeLabel(req, res),
        method: req.method,
        path: withoutQuery(req.originalUrl),
        userId: req.session?.userId,
        upstreamStatus: res.locals.upstreamStatus,
        started,
      });
    });
    next();
  };
}

/** What a request's line and metrics say, passed explicitly by whoever handled the request. */
export interface FinishedRequest {
  requestId: string;
  /** Route pattern (metrics label). */
  route: string;
  method: string;
  /** Without the query string. */
  path: string;
  userId: string | undefined;
  upstreamStatus: number | undefined;
  /** performance.now() when the request came in (metrics.requestStarted was called then). */
  started: number;
}

/**
 * Once a response has closed: the metrics (in flight, count, duration) and the one log line. Shared by
 * requestContext and the API's lean route, so that both write the same line.
 */
export function finishRequest(options: Pick<RequestContextOptions, 'logger' | 'metrics'>, res: ServerResponse, request: FinishedRequest): void {
  const { logger, metrics } = options;
  const status = res.statusCode;
  const seconds = (performance.now() - request.started) / 1000;
  metrics.requestEnded(request.route, request.method, status, seconds);
  const line: RequestLine = {
    requestId: request.requestId,
    userId: request.userId,
    method: request.method,
    path: request.path,
    status,
    durationMs: Math.round(seconds * 10000) / 10,
    upstreamStatus: request.upstreamStatus,
  };
  if (!res.writableFinished) line.aborted = true;
  if (status >= 500) logger.error(line, 'request failed');
  else logger.info(line, 'request');
}

/** The one line logged per request. */
interface RequestLine {
  requestId: string;
  userId: string | undefined;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  upstreamStatus: number | undefined;
  /** The client went away before the answer was complete. */
  aborted?: true;
}

function startsWithAny(path: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
  return false;
}

/** The path of a request URL, without the query string (which may hold anything a client chose to send). */
export function withoutQuery(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
