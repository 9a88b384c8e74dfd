import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { RepeatLimiter } from '../lib/repeat-limited-log';
import { AppError, toProblem } from '../core/errors';
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

/** Whatever was thrown, as an AppError: known errors keep theirs, anything else is a 500 with generic words. */
export function asAppError(error: unknown): AppError {
  return error instanceof AppError
    ? error
    : (fromExpressParts(error) ??
        new AppError({ status: 500, code: 'internal-error', title: 'Something went wrong', detail: 'The app failed to handle this request. Try again, and report the Request-Id if it keeps happening.', cause: error }));
}

export interface FaultLogOptions {
  logger: Logger;
  clock: Clock;
  metrics?: AppMetrics;
}

/**
 * Where the app's faults are counted and logged. Faults of the same kind (Fortellis timing out, a store
 * away) are logged once a minute with a count, not per request: an outage is one JSON line, never a stack
 * per request. Only unexpected errors (bugs) are logged each time, with their stack.
 */
export class FaultLog {
  private readonly repeats: RepeatLimiter;

  constructor(private readonly options: FaultLogOptions) {
    this.repeats = new RepeatLimiter(options.clock);
  }

  /** Counts and logs one fault; returns it as the AppError the client is (or would have been) told. */
  record(error: unknown, requestId: string | undefined): AppError {
    const appError = asAppError(error);
    if (appError.code === 'store-unavailable') this.options.metrics?.storeErrors.inc({ store: String(appError.extensions?.store) });
    if (appError.status >= 500 && appError.code === 'internal-error') {
      this.options.logger.error({ requestId, err: error }, 'unhandled error');
    } else if (appError.logDetail) {
      const decision = this.repeats.shouldLog(`${appError.code}:${appError.fortellisCode ?? ''}`);
      if (decision.log) {
        this.options.logger.warn({ requestId, code: appError.code, detail: appError.logDetail, similarSinceLastLine: decision.suppressed }, appError.title);
      }
    }
    return appError;
  }
}

/**
 * The one error middleware. Known errors keep their status and client-safe words; anything else is a 500
 * with a generic message, while the log gets the detail. Never a stack trace to a client.
 */
export function errorHandler(options: FaultLogOptions & { views: Views; faults?: FaultLog }): ErrorRequestHandler {
  const faults = options.faults ?? new FaultLog(options);
  return (error, req, res, _next) => {
    const requestId = res.locals.requestId;
    const appError = faults.record(error, requestId);

    // The browser went away, or the answer has started already: nothing more can be said.
    if (res.headersSent || req.socket.destroyed) {
      if (!res.writableEnded) res.destroy();
      return;
    }
    if (wantsProblemJson(req)) return writeProblem(req, res, appError, requestId);
    if (appError.retryAfterSeconds) res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.status);
    res.setHeader('Cache-Control', 'no-store');
    options.views.render(res, 'error', { title: appError.title, status: appError.status, detail: appError.detail, requestId });
  };
}

/**
 * Answers `error` as `application/problem+json` (RFC 9457), with Node's response alone: the error
 * middleware and the API's lean route (which runs before Express' routing) write the same answer.
 */
export function writeProblem(req: IncomingMessage, res: ServerResponse, error: AppError, requestId: string | undefined): void {
  // The browser went away, or the answer has started already: nothing more can be said.
  if (res.headersSent || req.socket.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify(toProblem(error, requestId)));
  res.statusCode = error.status;
  if (error.retryAfterSeconds) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}
