import { Router } from 'express';
import { sendApiError } from './gateway-errors';
import { SIMULATED_APP_INFO, type DealerRecord } from './sample-data';

/**
 * The subscriptions API (`subscriptions.fortellis.io` in production; here on the same base URL). The app
 * is known from its token, so no Subscription-Id is needed.
 */
export function createSubscriptionsRouter(dealers: Map<string, DealerRecord>): Router {
  const router = Router();

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
      organizationInfo: {
        id: dealer.orgId,
        name: dealer.orgName,
        address: dealer.address,
        countryCode: dealer.countryCode,
        phoneNumber: dealer.phoneNumber,
      },
      appInfo: { ...SIMULATED_APP_INFO },
    });
  });

  return router;
}
