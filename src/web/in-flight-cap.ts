import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { AppError } from '../core/errors';

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
export class InFlightCap {
  private inFlight = 0;

  constructor(private readonly max: number) {}

  /** Counts `res` in until it closes; false (and nothing counted) when the cap is reached. */
  enter(res: ServerResponse): boolean {
    if (!this.take()) return false;
    res.once('close', () => this.release());
    return true;
  }

  /**
   * Counts one request in, without a listener of its own: for a handler that already listens for its
   * response's 'close' (the API's route) and calls release() there, exactly once. False when at the cap.
   */
  take(): boolean {
    if (this.inFlight >= this.max) return false;
    this.inFlight += 1;
    return true;
  }

  release(): void {
    this.inFlight -= 1;
  }
}

/** The cap as middleware; the API's lean route shares the same `cap`, so both count against one limit. */
export function capRequestsInFlight(capOrMax: InFlightCap | number): RequestHandler {
  const cap = typeof capOrMax === 'number' ? new InFlightCap(capOrMax) : capOrMax;
  return (_req, res, next) => next(cap.enter(res) ? undefined : overloaded());
}
