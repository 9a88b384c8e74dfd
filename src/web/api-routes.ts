import express, { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import type { AuditLog } from '../auth/audit-log';
import { requireUserForApi, sessionExpiresAt, type SessionTimeouts } from './guards';
import type { UsersRepository } from '../auth/users';
import type { RecentActivity } from '../session/recent-activity';
import { switchSubscription } from './switch-subscription';
import { requireSessionCsrfToken } from './csrf';
import { badRequest, notFound, notSignedIn } from '../core/errors';

export interface ApiRoutesOptions {
  users: UsersRepository;
  audit: AuditLog;
  timeouts: SessionTimeouts;
  clock: Clock;
  activity: RecentActivity;
}

const switchSchema = z.object({ subscriptionId: z.unknown() }).strict();

/** `/api/*` but the proxy (api-proxy-route.ts): signed-in only, CSRF token on unsafe methods, JSON answers. */
export function apiRoutes(options: ApiRoutesOptions): Router {
  const router = Router();
  router.use(requireUserForApi, requireSessionCsrfToken);

  router.get('/me', async (req, res) => {
    const user = await options.users.findById(req.session.userId!);
    if (!user) throw notSignedIn();
    res.json({
      username: req.session.username,
      role: req.session.role,
      subscriptionId: req.session.subscriptionId ?? null,
      subscriptions: user.subscriptions.map(({ subscriptionId, orgName }) => ({ subscriptionId, orgName })),
      csrfToken: req.session.csrfToken,
      sessionExpiresAt: new Date(sessionExpiresAt(req, options.timeouts, options.clock.now())).toISOString(),
      lastProxiedRequestId: options.activity.lastProxiedRequestId(req.sessionID) ?? null,
    });
  });

  // Switching store: only to one of the user's own subscriptions, checked against the database each time.
  router.post('/session/subscription', express.json({ limit: '1kb' }), async (req, res) => {
    const parsed = switchSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('Send {"subscriptionId": "<one of your subscriptions>"}.');
    res.json({ subscriptionId: await switchSubscription(req, options.users, options.audit, parsed.data.subscriptionId) });
  });

  router.use((_req, _res, next) => next(notFound()));
  return router;
}
