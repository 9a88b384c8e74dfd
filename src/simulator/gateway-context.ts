import type { Response } from 'express';
import type { DealerRecord } from './sample-data';
import type { AccessTokenClaims } from './token-service';

/** What the gateway's middleware learns about a request, kept in `res.locals`. */
export interface GatewayContext {
  requestId?: string;
  claims?: AccessTokenClaims;
  dealer?: DealerRecord;
  /** A body-parser failure, answered only after authentication so a bad token is reported first. */
  bodyError?: unknown;
}

/** The gateway context of this response (typed view of `res.locals`). */
export function gatewayContext(res: Response): GatewayContext {
  return res.locals as GatewayContext;
}

/** The dealer `requireSubscription` resolved; calling it on a route without that middleware is a bug. */
export function dealerOf(res: Response): DealerRecord {
  const { dealer } = gatewayContext(res);
  if (!dealer) throw new Error('dealerOf() used on a route that does not require a subscription');
  return dealer;
}
