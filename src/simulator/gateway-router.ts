import { randomUUID } from 'node:crypto';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { requireAccessToken, requireSubscription } from './api-auth';
import { APPOINTMENTS_PATH } from './appointments';
import { createAppointmentsRouter } from './appointments-router';
import { createCrmRouter } from './crm-router';
import { gatewayContext } from './gateway-context';
import { sendGatewayError } from './gateway-errors';
import { parseJsonBodyDeferred, rejectUnreadableBody } from './request-body';
import type { DealerRecord } from './sample-data';
import type { StatsRecorder } from './stats';
import { createSubscriptionsRouter } from './subscriptions-router';
import type { TokenService } from './token-service';
import { createVehiclesRouter } from './vehicles-router';

export interface GatewayRouterDependencies {
  tokens: TokenService;
  dealers: Map<string, DealerRecord>;
  stats: StatsRecorder;
  /** Runs after the request is counted and its body read (the simulator's API faults). */
  apiFaults: RequestHandler;
  publicUrl: () => string;
  onUnexpectedError: (error: unknown) => void;
}

/**
 * The simulated API gateway, in the order a request meets it: Request-Id, counting, faults, the bearer
 * token, then each API behind its Subscription-Id check. Anything else is API-DOES-NOT-EXIST.
 */
export function createGatewayRouter(deps: GatewayRouterDependencies): Router {
  const router = Router();

  router.use(echoRequestId);
  const parseBody = parseJsonBodyDeferred();
  router.use((req, res, next) => {
    const record = deps.stats.recordApiRequest(req);
    parseBody(req, res, () => {
      if (req.body !== undefined) record.body = structuredClone(req.body);
      next();
    });
  });
  router.use(deps.apiFaults);
  router.use(requireAccessToken(deps.tokens));

  router.use(createSubscriptionsRouter(deps.dealers));
  router.use(
    APPOINTMENTS_PATH,
    requireSubscription(deps.dealers, 'service-appointments-v3'),
    rejectUnreadableBody,
    createAppointmentsRouter(deps.publicUrl),
  );
  router.use(
    '/sales/inventory/v1/merchandisable-vehicles',
    requireSubscription(deps.dealers, 'merchandisable-vehicles-v1'),
    rejectUnreadableBody,
    createVehiclesRouter(),
  );
  router.use(
    '/crm/cdk-crm/v1/leads',
    requireSubscription(deps.dealers, 'crm-leads-v1'),
    rejectUnreadableBody,
    createCrmRouter(),
  );

  router.use((_req, res) => sendGatewayError(res, 'API-DOES-NOT-EXIST'));

  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    deps.onUnexpectedError(error);
    sendGatewayError(res, 'PROCESSING-ERROR');
  });

  return router;
}

/**
 * Every API answer carries the request's `Request-Id` (or a new UUID when it had none), set before
 * anything else so that errors carry it too.
 */
function echoRequestId(req: Request, res: Response, next: NextFunction): void {
  const requestId = req.get('request-id') || randomUUID();
  gatewayContext(res).requestId = requestId;
  res.set('Request-Id', requestId);
  next();
}
