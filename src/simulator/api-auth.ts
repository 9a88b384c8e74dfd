import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { gatewayContext } from './gateway-context';
import { sendGatewayError } from './gateway-errors';
import type { SubscriptionEnvironment } from './namespaces';
import type { DealerRecord, SimulatedApiId } from './sample-data';
import type { TokenService } from './token-service';

/**
 * The API gateway's two checks, in Fortellis' order: the bearer token, then the Subscription-Id and
 * whether that subscription may use the API.
 */

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Refuses requests without a valid access token (any scope: implicit-flow tokens are accepted too). */
export function requireAccessToken(tokens: TokenService): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match) return sendGatewayError(res, 'MISSING-AUTHORIZATION');
    const check = await tokens.verify(match[1]);
    if (!check.ok) return sendGatewayError(res, check.code, { explanation: check.detail });
    gatewayContext(res).claims = check.claims;
    next();
  };
}

/**
 * Refuses requests whose Subscription-Id is missing, unknown, of another environment than the namespace
 * called (`environment`), inactive, or does not include `api`; on success the dealer is available to the
 * route through `dealerOf(res)`.
 */
export function requireSubscription(
  dealers: Map<string, DealerRecord>,
  api: SimulatedApiId,
  environment: SubscriptionEnvironment | 'any' = 'any',
): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const subscriptionId = req.get('subscription-id')?.trim();
    if (!subscriptionId) return sendGatewayError(res, 'MISSING-SUBSCRIPTION-ID');
    const dealer = dealers.get(subscriptionId);
    if (!dealer) {
      return sendGatewayError(res, 'SUBSCRIPTION-MISMATCH', {
        explanation: `Subscription ${subscriptionId} is not a subscription to this app.`,
      });
    }
    // The Test environment's API is a listing of its own: a production subscription is not one to it.
    if (environment !== 'any' && dealer.environment !== environment) {
      return sendGatewayError(res, 'SUBSCRIPTION-MISMATCH', {
        explanation: `Subscription ${subscriptionId} belongs to the ${dealer.environment} environment, not to this API's ${environment} environment.`,
      });
    }
    if (dealer.status !== 'active') {
      return sendGatewayError(res, 'API-SUBSCRIPTION-INACTIVE', {
        explanation: `Subscription ${subscriptionId} (${dealer.orgName}) is inactive since ${
          dealer.deactivationDate || 'an unknown date'
        }.`,
      });
    }
    if (!dealer.apis.includes(api)) {
      return sendGatewayError(res, 'UNAUTHORIZED-API-ACCESS', {
        explanation: `Subscription ${subscriptionId} (${dealer.orgName}) does not include the ${api} API.`,
      });
    }
    gatewayContext(res).dealer = dealer;
    next();
  };
}
