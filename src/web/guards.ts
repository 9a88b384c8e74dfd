import type { Request, RequestHandler } from 'express';
import type { Clock } from '../lib/clock';
import { notSignedIn } from '../core/errors';
import { signInAgainUrl } from './return-to';

export interface SessionTimeouts {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

/** When the session ends if the user does nothing more: idle timeout from now, capped by the absolute lifetime. */
export function sessionExpiresAt(req: Request, timeouts: SessionTimeouts, now: number): number {
  const signedInAt = req.session.signedInAt ?? now;
  return Math.min(now + timeouts.idleTimeoutMs, signedInAt + timeouts.absoluteTimeoutMs);
}

/**
 * Ends sessions older than the absolute lifetime (OWASP Session Management Cheat Sheet): even an active
 * session has to sign in again eventually. The idle timeout is the store's time-to-live.
 */
export function enforceAbsoluteLifetime(timeouts: SessionTimeouts, clock: Clock): RequestHandler {
  return (req, _res, next) => {
    const signedInAt = req.session?.signedInAt;
    if (signedInAt === undefined || clock.now() < signedInAt + timeouts.absoluteTimeoutMs) return next();
    req.session.destroy((error) => next(error));
  };
}

export function isSignedIn(req: Request): boolean {
  return typeof req.session?.userId === 'string';
}

/** API routes: 401 problem JSON when nobody is signed in. */
export const requireUserForApi: RequestHandler = (req, _res, next) => {
  next(isSignedIn(req) ? undefined : notSignedIn());
};

/** Pages: off to the sign-in page when nobody is signed in, saying why and with the way back. */
export const requireUserForPage: RequestHandler = (req, res, next) => {
  if (isSignedIn(req)) return next();
  res.redirect(303, signInAgainUrl(req));
};
