import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../lib/logger';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Unique per browser request: sent to Fortellis as Request-Id, returned to the browser, in every log line. */
    requestId: string;
    /** Status Fortellis answered, when the request was proxied. */
    upstreamStatus?: number;
  }
}

export interface RequestContextOptions {
  logger: Logger;
  /** Paths that are not worth a log line each (health checks, static files). */
  quietPrefixes?: string[];
}

/**
 * Gives each request its Request-Id and writes one structured line when it ends: id, user id (never the
 * name), method, path without the query string, status, duration and upstream status. A hand-written
 * middleware rather than pino-http, which builds two child loggers per request for the same line.
 */
export function requestContext(options: RequestContextOptions): RequestHandler {
  const quiet = options.quietPrefixes ?? [];
  return (req, res, next) => {
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('Request-Id', requestId);
    if (quiet.some((prefix) => req.path.startsWith(prefix))) return next();

    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const line = {
        requestId,
        userId: req.session?.userId,
        method: req.method,
        path: req.originalUrl.split('?', 1)[0],
        status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        upstreamStatus: res.locals.upstreamStatus,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500) options.logger.error(line, 'request failed');
      else options.logger.info(line, 'request');
    });
    next();
  };
}
