/**
 * The one error type of the app. Whatever goes wrong becomes an AppError, and one error middleware turns it
 * into `application/problem+json` (RFC 9457) for APIs or an error page for HTML routes.
 */
export interface AppErrorOptions {
  status: number;
  /** Stable machine-readable code, also the last part of the problem `type`. */
  code: string;
  /** Short, client-safe summary. */
  title: string;
  /** Client-safe explanation: what happened and what to do. */
  detail?: string;
  /** For the log only: never sent to a client. */
  logDetail?: string;
  /** A Fortellis gateway code (e.g. TOKEN-EXPIRED) when Fortellis named one. */
  fortellisCode?: string;
  /** Seconds after which a retry may succeed (sent as Retry-After). */
  retryAfterSeconds?: number;
  /** Extra client-safe members for the problem document. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly logDetail?: string;
  readonly fortellisCode?: string;
  readonly retryAfterSeconds?: number;
  readonly extensions?: Record<string, unknown>;

  constructor(options: AppErrorOptions) {
    super(options.detail ?? options.title, { cause: options.cause });
    this.name = 'AppError';
    this.status = options.status;
    this.code = options.code;
    this.title = options.title;
    this.detail = options.detail;
    this.logDetail = options.logDetail;
    this.fortellisCode = options.fortellisCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.extensions = options.extensions;
  }
}

export const PROBLEM_TYPE_PREFIX = 'urn:fortellis-bff:problem:';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  requestId?: string;
  fortellisCode?: string;
  [extension: string]: unknown;
}

/** The RFC 9457 body for an AppError. */
export function toProblem(error: AppError, requestId: string | undefined): ProblemDocument {
  return {
    ...error.extensions,
    type: `${PROBLEM_TYPE_PREFIX}${error.code}`,
    title: error.title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    ...(requestId ? { requestId } : {}),
    ...(error.fortellisCode ? { fortellisCode: error.fortellisCode } : {}),
  };
}

export const notSignedIn = () =>
  new AppError({ status: 401, code: 'not-signed-in', title: 'Not signed in', detail: 'Sign in to the app first.' });

export const csrfRejected = (detail: string) =>
  new AppError({ status: 403, code: 'csrf-rejected', title: 'Request refused', detail });

export const notFound = () =>
  new AppError({ status: 404, code: 'not-found', title: 'Not found', detail: 'There is nothing at this address.' });

export const badRequest = (detail: string, extensions?: Record<string, unknown>) =>
  new AppError({ status: 400, code: 'bad-request', title: 'Bad request', detail, extensions });

/**
 * A store (database, Redis) did not answer: the request may succeed later, so 503 rather than 500. A cause
 * that is such an error already (the database layer makes them at the source) is kept as it is, so the log
 * names the store that failed and what it answered, not the layer that passed it on.
 */
export function storeUnavailable(store: string, cause: unknown): AppError {
  if (cause instanceof AppError && cause.code === 'store-unavailable') return cause;
  return new AppError({
    status: 503,
    code: 'store-unavailable',
    title: 'Temporarily unavailable',
    detail: 'The app cannot reach its storage right now. Try again in a moment.',
    logDetail: `${store} failed: ${(cause as Error)?.message ?? String(cause)}`,
    retryAfterSeconds: 5,
    extensions: { store },
    cause,
  });
}
