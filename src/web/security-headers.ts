import helmet from 'helmet';
import type { Request, RequestHandler, Response } from 'express';

/**
 * Security headers for every answer: a strict Content-Security-Policy (scripts only from this origin, no
 * inline script, no framing, forms only to this origin), no Referer leaks, HSTS when served over HTTPS.
 * Pages that must post elsewhere (the implicit demo) extend `form-action` themselves.
 */
export function securityHeaders(options: { https: boolean }): RequestHandler {
  return fixedHeaders(helmetHeaders(options));
}

/** Helmet configured for this app (what securityHeaders() sends, worked out once). */
export function helmetHeaders(options: { https: boolean }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: options.https ? { maxAge: 31536000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * Helmet's headers, worked out once: with no per-request directive (no nonces) its twelve middleware functions
 * set the same values on every answer, so they are recorded at start-up and replayed. Same headers, same
 * order, without a dozen nested calls on every API call.
 */
export function fixedHeaders(middleware: RequestHandler): RequestHandler {
  const set: Array<[string, string]> = [];
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: unknown) {
      set.push([name, String(value)]);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  let finished = false;
  middleware({ headers: {} } as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  // Anything asynchronous or request-dependent cannot be replayed: refuse rather than send stale headers.
  if (!finished) throw new Error('security headers must be decided synchronously and without the request');
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}

/** Nothing personal may sit in a shared or browser cache. Static assets set their own caching. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
