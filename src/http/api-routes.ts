import { Router } from 'express';
import type { Clock } from '../lib/clock';
import { requireUserForApi, sessionExpiresAt, type SessionTimeouts } from '../auth/guards';
import type { createFortellisProxy } from '../fortellis/proxy';
import type { RecentActivity } from '../session/recent-activity';
import { requireSessionCsrfToken } from './csrf';
import { notFound } from './errors';

export interface ApiRoutesOptions {
  proxy: ReturnType<typeof createFortellisProxy>;
  timeouts: SessionTimeouts;
  clock: Clock;
  activity: RecentActivity;
}

/** `/api/*`: signed-in only, CSRF token on unsafe methods, JSON answers. */
export function apiRoutes(options: ApiRoutesOptions): Router {
  const router = Router();
  router.use(requireUserForApi, requireSessionCsrfToken);

  router.get('/me', (req, res) => {
    res.json({
      username: req.session.username,
      subscriptionId: req.session.subscriptionId,
      csrfToken: req.session.csrfToken,
      sessionExpiresAt: new Date(sessionExpiresAt(req, options.timeouts, options.clock.now())).toISOString(),
      lastProxiedRequestId: options.activity.lastProxiedRequestId(req.sessionID) ?? null,
    });
  });

  router.use('/fortellis', (req, res) => {
    options.activity.recordProxiedCall(req.sessionID, res.locals.requestId);
    return options.proxy(req, res, { subscriptionId: req.session.subscriptionId!, requestId: res.locals.requestId });
  });

  router.use((_req, _res, next) => next(notFound()));
  return router;
}
