import { Router } from 'express';
import { dealerOf } from './gateway-context';
import { sendApiError } from './gateway-errors';

/**
 * The CDK CRM leads API's connection check (mounted at `/crm/cdk-crm/v1/leads`): it answers 400
 * "Connection Not OK" while the dealer's CRM connection is not set up, which is an ordinary state for
 * a new subscriber, not a gateway error.
 */
export function createCrmRouter(): Router {
  const router = Router();
  router.get('/ping', (_req, res) => {
    if (!dealerOf(res).crmConfigured) return sendApiError(res, 400, 'Connection Not OK');
    res.json({ message: 'Connection OK' });
  });
  return router;
}
