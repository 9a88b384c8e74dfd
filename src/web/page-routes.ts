import express, { Router } from 'express';
import type { Logger } from '../lib/logger';
import type { AuditLog } from '../auth/audit-log';
import { isSignedIn, requireUserForPage } from './guards';
import type { UsersRepository } from '../auth/users';
import type { Subscription, SubscriptionsClient } from '../fortellis/subscriptions';
import { switchSubscription } from './switch-subscription';
import { requireSessionCsrfToken } from './csrf';
import type { Views } from './views';

export interface PageRoutesOptions {
  views: Views;
  subscriptions: SubscriptionsClient;
  users: UsersRepository;
  audit: AuditLog;
  logger: Logger;
}

/** The home redirect, the signed-in user's dashboard and its store switcher. */
export function pageRoutes(options: PageRoutesOptions): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });

  router.get('/', (req, res) => {
    res.redirect(303, isSignedIn(req) ? '/dashboard' : '/login');
  });

  router.get('/dashboard', requireUserForPage, async (req, res) => {
    const subscriptionId = req.session.subscriptionId;
    const user = await options.users.findById(req.session.userId!);
    let dealerName: string | undefined;
    let dealerProblem: string | undefined;
    let statuses = new Map<string, Subscription>();
    if (!subscriptionId) {
      dealerProblem = 'Your account is not linked to a dealer yet. Ask an administrator to link one.';
    } else {
      try {
        const [context, list] = await Promise.all([options.subscriptions.getContext(subscriptionId), options.subscriptions.listSubscriptions()]);
        if (context) dealerName = context.organizationInfo.name;
        else dealerProblem = 'Fortellis does not know this Subscription-Id.';
        statuses = new Map(list.map((s) => [s.subscriptionId, s]));
      } catch (error) {
        // The page still works without the dealer's name; the API console shows Fortellis' state.
        options.logger.warn({ requestId: res.locals.requestId, err: error }, 'subscription details unavailable');
        dealerProblem = 'The dealer name could not be loaded from Fortellis right now.';
      }
    }
    const stores = (user?.subscriptions ?? []).map((link) => ({
      subscriptionId: link.subscriptionId,
      orgName: statuses.get(link.subscriptionId)?.orgName || link.orgName || link.subscriptionId,
      status: statuses.get(link.subscriptionId)?.status,
      active: link.subscriptionId === subscriptionId,
    }));
    options.views.render(res, 'dashboard', {
      title: 'Dashboard',
      nav: 'dashboard',
      username: req.session.username,
      subscriptionId: subscriptionId ?? '',
      dealerName,
      dealerProblem,
      stores,
      currentStoreInactive: stores.some((s) => s.active && s.status !== undefined && s.status !== 'active'),
    });
  });

  // The switcher's form (works without JavaScript); the JSON twin is POST /api/session/subscription.
  router.post('/dashboard/store', requireUserForPage, form, requireSessionCsrfToken, async (req, res) => {
    await switchSubscription(req, options.users, options.audit, (req.body as Record<string, unknown>).subscriptionId);
    res.redirect(303, '/dashboard');
  });

  return router;
}
