import { Router, type RequestHandler } from 'express';
import { sendApiError } from './gateway-errors';
import { gatewayErrorHandler, gatewayFront } from './gateway-router';
import { SIMULATED_APP_INFO, type DealerRecord } from './sample-data';
import type { StatsRecorder } from './stats';
import type { TokenService } from './token-service';

export interface SubscriptionsRouterDependencies {
  tokens: TokenService;
  dealers: Map<string, DealerRecord>;
  stats: StatsRecorder;
  apiFaults: RequestHandler;
  onUnexpectedError: (error: unknown) => void;
}

/** The two paths of the subscriptions host; everything else on the simulator's root is not its business. */
const SUBSCRIPTIONS_PATHS = /^\/(v1\/solution\/subscriptions|subscriptions\/[^/]+\/context)\/?$/;

/**
 * The subscriptions API (`subscriptions.fortellis.io` in production), on the simulator's root, apart from
 * the API host: the app's backend calls it with its own token (no Subscription-Id: the app is known from
 * the token), and no path below FORTELLIS_API_BASE_URL, and so none the browser can reach through the
 * app's proxy, leads here.
 * https://docs.fortellis.io/docs/tutorials/app-toolbox/using-the-subscriptions-endpoint/
 */
export function createSubscriptionsRouter(deps: SubscriptionsRouterDependencies): Router {
  const { dealers } = deps;
  const router = Router();
  router.use((req, _res, next) => next(SUBSCRIPTIONS_PATHS.test(req.path) ? undefined : 'router'));
  router.use(gatewayFront(deps));

  router.get('/v1/solution/subscriptions', (req, res) => {
    const { orgId, entityId } = req.query as Record<string, unknown>;
    for (const [name, value] of Object.entries({ orgId, entityId })) {
      if (value !== undefined && typeof value !== 'string') {
        return sendApiError(res, 400, `${name} must be given at most once.`);
      }
    }
    const subscriptions = [...dealers.values()]
      .filter((dealer) => orgId === undefined || dealer.orgId === orgId)
      .filter((dealer) => entityId === undefined || dealer.entityId === entityId)
      .map((dealer) => ({
        subscriptionId: dealer.subscriptionId,
        orgId: dealer.orgId,
        entityId: dealer.entityId,
        orgName: dealer.orgName,
        status: dealer.status,
        activationDate: dealer.activationDate,
        deactivationDate: dealer.deactivationDate,
        environment: dealer.environment,
        dealerCodes: [...dealer.dealerCodes],
      }));
    res.json({ subscriptions });
  });

  router.get('/subscriptions/:subscriptionId/context', (req, res) => {
    const dealer = dealers.get(req.params.subscriptionId);
    if (!dealer) return sendApiError(res, 404, `Subscription ${req.params.subscriptionId} was not found.`);
    res.json({
      organizationInfo: organizationInfo(dealer),
      appInfo: { ...SIMULATED_APP_INFO },
      // The docs' answer carries the older names of the same two objects beside the new ones.
      entityInfo: organizationInfo(dealer),
      solutionInfo: { ...SIMULATED_APP_INFO },
    });
  });

  router.use((req, res) => sendApiError(res, 405, `${req.method} is not supported here; use GET.`));
  router.use(gatewayErrorHandler(deps.onUnexpectedError));
  return router;
}

function organizationInfo(dealer: DealerRecord) {
  return {
    id: dealer.orgId,
    name: dealer.orgName,
    address: dealer.address,
    countryCode: dealer.countryCode,
    phoneNumber: dealer.phoneNumber,
  };
}
