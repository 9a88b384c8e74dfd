import type { RequestHandler } from 'express';
import type { Clock } from '../lib/clock';
import type { AccessLogWriter } from './writer';

/** Longer paths are cut (the column holds 2048); no API path of Fortellis comes near. */
const MAX_PATH = 2048;

/**
 * Mounted on `/api/fortellis`: one access-log entry per call, signed in or not (a refused call is worth
 * seeing too), written when the answer is over (`close` fires for finished and for abandoned answers alike).
 * The per-call cost is one listener and one object pushed onto an array (see README, Performance).
 */
export function recordProxiedCalls(writer: AccessLogWriter, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const at = clock.now();
    const started = performance.now();
    const session = req.session;
    // Taken now: the session is what the call acted as, whatever happens to it later.
    const userId = session?.userId ?? null;
    const username = userId ? (session.username ?? null) : null;
    const subscriptionId = userId ? (session.subscriptionId ?? null) : null;
    // req.path is below the mount point and has no query string (which may hold customer data); read now,
    // since routers further down rewrite req.url while they run.
    const path = req.path.length > MAX_PATH ? req.path.slice(0, MAX_PATH) : req.path;
    res.once('close', () => {
      writer.record({
        at,
        userId,
        username,
        subscriptionId,
        method: req.method,
        path,
        status: res.statusCode,
        requestId: (res.locals.requestId as string | undefined) ?? null,
        durationMs: Math.round(performance.now() - started),
      });
    });
    next();
  };
}
