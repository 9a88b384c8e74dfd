import type { ErrorRequestHandler, Request } from 'express';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { RepeatLimiter } from '../lib/repeat-limited-log';
import { AppError, toProblem } from './errors';
import type { Views } from './views';
import type { AppMetrics } from './metrics';

/** Errors thrown by body-parser and serve-static carry `type` and `status`: the client's mistakes, not ours. */
function fromExpressParts(error: unknown): AppError | undefined {
  const e = error as { type?: string; status?: number; limit?: number };
  switch (e?.type) {
    case 'entity.too.large':
      return new AppError({ status: 413, code: 'body-too-large', title: 'Request body too large', detail: `Request bodies are limited to ${e.limit} bytes.` });
    case 'entity.parse.failed':
      return new AppError({ status: 400, code: 'malformed-json', title: 'Malformed JSON', detail: 'The request body is not valid JSON.' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError({ status: 415, code: 'unsupported-encoding', title: 'Unsupported encoding', detail: 'Send the body as UTF-8.' });
    case 'request.aborted':
      return new AppError({ status: 400, code: 'request-aborted', title: 'Request aborted' });
    case 'parameters.too.many':
      return new AppError({ status: 413, code: 'too-many-parameters', title: 'Too many parameters' });
    default:
      break;
  }
  // Other client errors raised by Express' own parts (static files, http-errors) keep their 4xx status.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return new AppError({ status: e.status, code: e.status === 404 ? 'not-found' : 'bad-request', title: e.status === 404 ? 'Not found' : 'Bad request' });
  }
  return undefined;
}

/** API callers (and anything asking for JSON) get problem JSON; browsers navigating get a page. */
export function wantsProblemJson(req: Request): boolean {
  return req.path.startsWith('/api/') || req.path === '/api' || !req.accepts('html');
}

/**
 * The one error middleware. Known errors keep their status and client-safe words; anything else is a 500
 * with a generic message, while the log gets the detail. Never a stack trace to a client.
 */
export function errorHandler(options: { logger: Logger; views: Views; clock: Clock; metrics?: AppMetrics }): ErrorRequestHandler {
  // Faults of the same kind (say, Fortellis timing out) are logged once a minute with a count, not per request.
  const faults = new RepeatLimiter(options.clock);
  return (error, req, res, _next) => {
    const appError =
      error instanceof AppError
        ? error
        : (fromExpressParts(error) ??
          new AppError({ status: 500, code: 'internal-error', title: 'Something went wrong', detail: 'The app failed to handle this request. Try again, and report the Request-Id if it keeps happening.', cause: error }));

    const requestId = res.locals.requestId;
    if (appError.code === 'store-unavailable') options.metrics?.storeErrors.inc({ store: String(appError.extensions?.store) });
    if (appError.status >= 500 && appError.code === 'internal-error') {
      options.logger.error({ requestId, err: error }, 'unhandled error');
    } else if (appError.logDetail) {
      const decision = faults.shouldLog(`${appError.code}:${appError.fortellisCode ?? ''}`);
      if (decision.log) {
        options.logger.warn({ requestId, code: appError.code, detail: appError.logDetail, similarSinceLastLine: decision.suppressed }, appError.title);
      }
    }

    // The browser went away, or the answer has started already: nothing more can be said.
    if (res.headersSent || req.socket.destroyed) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (appError.retryAfterSeconds) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.status);
    res.setHeader('Cache-Control', 'no-store');
    if (wantsProblemJson(req)) {
      res.type('application/problem+json').send(JSON.stringify(toProblem(appError, requestId)));
      return;
    }
    options.views.render(res, 'error', { title: appError.title, status: appError.status, detail: appError.detail, requestId });
  };
}
