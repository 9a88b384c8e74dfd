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
import type { TokenService } from './token-service';
import { createVehiclesRouter } from './vehicles-router';
import { API_NAMESPACES, type ApiNamespace } from './namespaces';

export interface GatewayRouterDependencies {
  tokens: TokenService;
  dealers: Map<string, DealerRecord>;
  stats: StatsRecorder;
  /** Runs after the request is counted and its body read (the simulator's API faults). */
  apiFaults: RequestHandler;
  /** Base URL of the simulated API host (what an app sets as FORTELLIS_API_BASE_URL). */
  apiBaseUrl: () => string;
  onUnexpectedError: (error: unknown) => void;
}

/**
 * What every request to a simulated Fortellis host meets first, in order: its Request-Id echoed, counting
 * (with the body), the configured faults, then the bearer token. Shared by the API host and the
 * subscriptions host.
 */
export function gatewayFront(deps: Pick<GatewayRouterDependencies, 'tokens' | 'stats' | 'apiFaults'>): RequestHandler[] {
  const parseBody = parseJsonBodyDeferred();
  const countAndRead: RequestHandler = (req, res, next) => {
    const record = deps.stats.recordApiRequest(req);
    parseBody(req, res, () => {
      if (req.body !== undefined) record.body = structuredClone(req.body);
      next();
    });
  };
  return [echoRequestId, countAndRead, deps.apiFaults, requireAccessToken(deps.tokens)];
}

/**
 * The simulated API host (`api.fortellis.io`): business APIs only, each behind its Subscription-Id check,
 * in every namespace (production and the Test environment's `/cdk-test`). Nothing else is reachable here:
 * not identity, not subscriptions, not the simulator's controls; anything else is API-DOES-NOT-EXIST.
 * Mounted at `SIMULATOR_API_PATH`.
 */
export function createGatewayRouter(deps: GatewayRouterDependencies): Router {
  const router = Router();
  router.use(gatewayFront(deps));
  for (const namespace of API_NAMESPACES) router.use(namespace.prefix || '/', createBusinessApis(deps, namespace));
  router.use((_req, res) => sendGatewayError(res, 'API-DOES-NOT-EXIST'));
  router.use(gatewayErrorHandler(deps.onUnexpectedError));
  return router;
}

/** The simulated business APIs of one namespace; requests outside them fall through to the next one. */
function createBusinessApis(deps: GatewayRouterDependencies, namespace: ApiNamespace): Router {
  const router = Router();
  const baseUrl = () => `${deps.apiBaseUrl()}${namespace.prefix}`;
  const subscribed = (api: Parameters<typeof requireSubscription>[1]) =>
    requireSubscription(deps.dealers, api, namespace.environment);
  router.use(APPOINTMENTS_PATH, subscribed('service-appointments-v3'), rejectUnreadableBody, createAppointmentsRouter(baseUrl));
  router.use('/sales/inventory/v1/merchandisable-vehicles', subscribed('merchandisable-vehicles-v1'), rejectUnreadableBody, createVehiclesRouter());
  router.use('/crm/cdk-crm/v1/leads', subscribed('crm-leads-v1'), rejectUnreadableBody, createCrmRouter());
  return router;
}

/** A failure no handler expected is the gateway's PROCESSING-ERROR, never a stack trace. */
export function gatewayErrorHandler(onUnexpectedError: (error: unknown) => void) {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    onUnexpectedError(error);
    sendGatewayError(res, 'PROCESSING-ERROR');
  };
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
