import { Router } from 'express';
import type { Logger } from '../lib/logger';
import { isSignedIn, requireUserForPage } from '../auth/guards';
import type { SubscriptionsClient } from '../fortellis/subscriptions';
import type { Views } from './views';

export interface PageRoutesOptions {
  views: Views;
  subscriptions: SubscriptionsClient;
  logger: Logger;
}

/** The home redirect and the signed-in user's dashboard. */
export function pageRoutes(options: PageRoutesOptions): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.redirect(303, isSignedIn(req) ? '/dashboard' : '/login');
  });

  router.get('/dashboard', requireUserForPage, async (req, res) => {
    const subscriptionId = req.session.subscriptionId!;
    let dealerName: string | undefined;
    let dealerProblem: string | undefined;
    try {
      const context = await options.subscriptions.getContext(subscriptionId);
      if (context) dealerName = context.organizationInfo.name;
      else dealerProblem = 'Fortellis does not know this Subscription-Id.';
    } catch (error) {
      // The page still works without the dealer's name; the API console shows Fortellis' state.
      options.logger.warn({ requestId: res.locals.requestId, err: error }, 'subscription context unavailable');
      dealerProblem = 'The dealer name could not be loaded from Fortellis right now.';
    }
    options.views.render(res, 'dashboard', {
      title: 'Dashboard',
      username: req.session.username,
      subscriptionId,
      dealerName,
      dealerProblem,
    });
  });

  return router;
}
