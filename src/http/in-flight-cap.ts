import type { RequestHandler } from 'express';
import { AppError } from './errors';

export const overloaded = () =>
  new AppError({
    status: 503,
    code: 'overloaded',
    title: 'Temporarily unavailable',
    detail: 'The app is handling as many requests as it can right now. Try again in a moment.',
    logDetail: 'requests in flight at the cap (MAX_REQUESTS_IN_FLIGHT)',
    retryAfterSeconds: 1,
  });

/**
 * Caps the requests the process works on at once (MAX_REQUESTS_IN_FLIGHT). When something it waits on
 * stalls (a frozen Redis, a slow upstream), requests would otherwise pile up without bound, each holding
 * memory and a socket, until the process falls over; over the cap a request is answered 503 with
 * Retry-After at once, so a load balancer or client tries elsewhere or later. A request counts until its
 * response is finished or its connection closes.
 */
export function capRequestsInFlight(max: number): RequestHandler {
  let inFlight = 0;
  return (_req, res, next) => {
    if (inFlight >= max) return next(overloaded());
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
    });
    next();
  };
}
