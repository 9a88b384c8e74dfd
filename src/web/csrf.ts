import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import { csrfRejected, type AppError } from '../core/errors';

/**
 * Cross-site request forgery defences (OWASP CSRF Prevention Cheat Sheet), in three layers:
 * 1. every unsafe request must come from this origin (`Sec-Fetch-Site`, then `Origin`);
 * 2. signed-in unsafe requests carry the session's synchronizer token (`X-CSRF-Token` or form `_csrf`);
 * 3. the sign-in form, which has no session yet, carries a token bound by HMAC to a random cookie.
 */

/**
 * Only these methods go without the CSRF checks. Every other one is unsafe, not just the four an app uses:
 * a list of unsafe methods would let PROPFIND, QUERY or a made-up method through unchecked. (TRACE is
 * "safe" in RFC 9110 §9.2.1 but has no business here, so it is checked too.)
 */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isUnsafe(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

/** A new random token (for the session's synchronizer token). */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

export function tokensMatch(expected: string | undefined, actual: unknown): boolean {
  if (typeof expected !== 'string' || typeof actual !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Refuses unsafe requests that come from another site. `Sec-Fetch-Site` is set by the browser and cannot be
 * forged by a web page, so when it is present it decides alone (Fetch Metadata resource isolation policy).
 * Otherwise `Origin` must be the app's public URL or the host the request was sent to. Note that
 * `Referrer-Policy: no-referrer` makes browsers send `Origin: null` even on same-origin posts, which is why
 * `Sec-Fetch-Site` is consulted first. Requests with neither header (curl, old browsers) go on to the token
 * checks.
 */
export function refuseCrossSite(publicUrl: string): RequestHandler {
  const publicOrigin = new URL(publicUrl).origin;
  return (req, _res, next) => next(crossSiteRefusal(req.method, req.headers, publicOrigin));
}

/** The refusal of refuseCrossSite for one request (`publicOrigin`: PUBLIC_URL's origin), or undefined. */
export function crossSiteRefusal(method: string, headers: IncomingHttpHeaders, publicOrigin: string): AppError | undefined {
  if (!isUnsafe(method)) return undefined;
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    return site === 'same-origin' || site === 'none' ? undefined : csrfRejected('Cross-site requests are not accepted.');
  }
  const origin = headers.origin;
  if (origin !== undefined && origin !== publicOrigin && !sameHost(origin, headers.host)) {
    return csrfRejected('Requests from another origin are not accepted.');
  }
  return undefined;
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (!host || origin === 'null') return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Unsafe requests of a signed-in session must carry its token in `X-CSRF-Token` (API) or `_csrf` (forms). */
export const requireSessionCsrfToken: RequestHandler = (req, _res, next) => {
  if (!isUnsafe(req.method)) return next();
  const sent = req.headers['x-csrf-token'] ?? (req.body as Record<string, unknown> | undefined)?._csrf;
  if (!tokensMatch(req.session?.csrfToken, sent)) {
    return next(csrfRejected('The request lacks a valid CSRF token. Reload the page and try again.'));
  }
  next();
};

export interface LoginCsrfOptions {
  secret: string;
  cookieName: string;
  secure: boolean;
}

/**
 * Login CSRF: before sign-in there is no session to hold a token, so the form's `_csrf` is an HMAC of a
 * random value kept in an HttpOnly cookie (the signed double-submit pattern). An attacker can neither read
 * the cookie nor compute the HMAC.
 */
export function loginCsrf(options: LoginCsrfOptions) {
  const sign = (nonce: string) => createHmac('sha256', options.secret).update(`login-csrf:${nonce}`).digest('base64url');

  return {
    /** Sets the cookie (new nonce) and returns the token for the form. */
    issue(res: Response): string {
      const nonce = randomBytes(24).toString('base64url');
      res.cookie(options.cookieName, nonce, { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' });
      return sign(nonce);
    },
    verify(req: Request): boolean {
      const nonce = readCookie(req.headers.cookie, options.cookieName);
      const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
      return nonce !== undefined && tokensMatch(sign(nonce), sent);
    },
    clear(res: Response): void {
      res.clearCookie(options.cookieName, { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' });
    },
  };
}

export type LoginCsrf = ReturnType<typeof loginCsrf>;

/** The value of one cookie from a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index !== -1 && part.slice(0, index).trim() === name) return part.slice(index + 1).trim();
  }
  return undefined;
}
