import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../lib/clock';
import type { FaultDelays } from './fault-delays';
import type { Fault, FaultStore, FaultTarget } from './faults';
import {
  defaultGatewayCodeFor,
  GATEWAY_ERRORS,
  isGatewayErrorCode,
  sendApiError,
  sendGatewayError,
} from './gateway-errors';
import { sendTokenError } from './oauth-errors';
import type { StatsRecorder } from './stats';

export interface FaultMiddlewareDependencies {
  faults: FaultStore;
  delays: FaultDelays;
  stats: StatsRecorder;
  clock: Clock;
}

/**
 * Applies the first matching fault for `target`: delay first, then drop the connection, answer with the
 * fault's status, or (delay only) let the request through to answer normally.
 */
export function createFaultMiddleware(target: FaultTarget, deps: FaultMiddlewareDependencies): RequestHandler {
  const respond =
    target === 'api' ? sendApiFault : (res: Response, fault: Fault) => sendTokenFault(res, fault, deps.clock);
  return async (req: Request, res: Response, next: NextFunction) => {
    // API faults name paths as the app sees them on its API (or subscriptions) host, i.e. below the
    // simulator's mount point; token faults name the identity path in full.
    const fault = deps.faults.take(target, target === 'api' ? req.path : req.originalUrl.split('?')[0]);
    if (!fault) return next();
    deps.stats.countFaultApplied();
    if (fault.delayMs > 0 && !(await deps.delays.wait(fault.delayMs, res))) return;
    if (fault.drop) {
      req.socket.destroy();
      return;
    }
    if (fault.status === undefined && fault.code === undefined) return next();
    respond(res, fault);
  };
}

/** A gateway error from the fault's status and code, each defaulting from the other. */
function sendApiFault(res: Response, fault: Fault): void {
  const code = fault.code !== undefined && isGatewayErrorCode(fault.code) ? fault.code : undefined;
  const status = fault.status ?? (code ? GATEWAY_ERRORS[code].status : 500);
  const effectiveCode = code ?? defaultGatewayCodeFor(status);
  if (effectiveCode) {
    sendGatewayError(res, effectiveCode, { status });
  } else {
    sendApiError(res, status, `Simulated failure (HTTP ${status}).`);
  }
}

const OAUTH_CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request',
  401: 'invalid_client',
  403: 'access_denied',
  500: 'server_error',
  503: 'temporarily_unavailable',
};

const STATUS_BY_OAUTH_CODE: Record<string, number> = {
  invalid_client: 401,
  access_denied: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

/**
 * An Okta-like token endpoint failure. A 429 without a code answers in Okta's own error shape
 * (`errorCode`/`errorSummary`) with its rate-limit headers, since that is what Okta's rate limiter sends.
 */
function sendTokenFault(res: Response, fault: Fault, clock: Clock): void {
  const status = fault.status ?? STATUS_BY_OAUTH_CODE[fault.code ?? ''] ?? 400;
  if (status === 429 && fault.code === undefined) {
    res
      .status(429)
      .set('Cache-Control', 'no-store')
      .set('X-Rate-Limit-Limit', '600')
      .set('X-Rate-Limit-Remaining', '0')
      .set('X-Rate-Limit-Reset', String(Math.floor(clock.now() / 1000) + 60))
      .json({
        errorCode: 'E0000047',
        errorSummary: 'API call exceeded rate limit due to too many requests.',
        errorLink: 'E0000047',
        errorId: `oae${Math.random().toString(36).slice(2, 12)}`,
        errorCauses: [],
      });
    return;
  }
  const error = fault.code ?? OAUTH_CODE_BY_STATUS[status] ?? 'server_error';
  sendTokenError(res, status, error, `Simulated failure of the token endpoint (HTTP ${status}).`);
}
