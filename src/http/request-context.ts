import { randomUUID } from 'node:crypto';
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
  const { logger, metrics } = options;
  // Every proxied API call runs this, so it allocates little: no per-request closures beyond the one
  // 'close' listener, no arrays from split(), no object spreads.
  return (req, res, next) => {
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('Request-Id', requestId);
    if (startsWithAny(req.path, quiet)) return next();

    const started = performance.now();
    metrics.inFlight.inc();
    res.on('close', () => {
      const status = res.statusCode;
      const seconds = (performance.now() - started) / 1000;
      const labels = { route: routeLabel(req, res), method: req.method, status: String(status) };
      metrics.inFlight.dec();
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      const line: RequestLine = {
        requestId,
        userId: req.session?.userId,
        method: req.method,
        path: withoutQuery(req.originalUrl),
        status,
        durationMs: Math.round(seconds * 10000) / 10,
        upstreamStatus: res.locals.upstreamStatus,
      };
      if (!res.writableFinished) line.aborted = true;
      if (status >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request');
    });
    next();
  };
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
