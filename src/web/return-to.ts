import type { Request } from 'express';

/**
 * Where the sign-in page sends a user back to: a path on this site and nothing else, so `/login?returnTo=`
 * cannot be turned into an open redirect (OWASP Unvalidated Redirects and Forwards Cheat Sheet).
 * Browsers read `//evil.com`, `/\evil.com` and `/<tab>/evil.com` as another host, so the value must start
 * with one `/` followed by something other than `/` or `\`, hold no backslash or control character, and
 * still be a same-origin path once the URL parser has normalised it.
 */
const MAX_RETURN_PATH = 512;
const BASE = 'http://return-to.invalid';
/** Returning to these would loop or act: the sign-in page itself, sign-out, the store switch (a POST). */
const NOT_A_RETURN = /^\/(login|logout)(\/|$|\?)/;

/** The safe same-origin path in `value`, or undefined when there is none (the caller uses its default). */
export function safeReturnPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_PATH) return undefined;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value, BASE);
  } catch {
    return undefined;
  }
  if (parsed.origin !== BASE) return undefined;
  const path = `${parsed.pathname}${parsed.search}${parsed.hash}`;
  if (path.startsWith('//') || NOT_A_RETURN.test(path)) return undefined;
  return path;
}

/** Why the sign-in page is shown: fixed reasons, each with a fixed sentence (the page never echoes the URL). */
export const SIGN_IN_REASONS: Record<string, string> = {
  'session-ended': 'Your session ended (you were signed out, or it timed out). Sign in again to carry on where you were.',
  'sign-in-first': 'Sign in to see that page.',
};

/**
 * The sign-in page's address for a request that arrived without a session. A page (GET) is returned to as
 * it was asked for; a form post came from a page whose session has ended, so it returns to that page's
 * section (`/dashboard/store` to `/dashboard`, `/admin/users/x/deactivate` to `/admin`).
 */
export function signInAgainUrl(req: Request): string {
  const reading = req.method === 'GET' || req.method === 'HEAD';
  const target = reading ? req.originalUrl : `/${req.originalUrl.split(/[/?#]/)[1] ?? ''}`;
  const query = new URLSearchParams({ reason: reading ? 'sign-in-first' : 'session-ended' });
  const returnTo = safeReturnPath(target);
  if (returnTo && returnTo !== '/') query.set('returnTo', returnTo);
  return `/login?${query.toString()}`;
}
