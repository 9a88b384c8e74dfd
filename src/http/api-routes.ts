import { Router } from 'express';
import type { Clock } from '../lib/clock';
import { requireUserForApi, sessionExpiresAt, type SessionTimeouts } from '../auth/guards';
import type { createFortellisProxy } from '../fortellis/proxy';
import { requireSessionCsrfToken } from './csrf';
import { notFound } from './errors';

export interface ApiRoutesOptions {
  proxy: ReturnType<typeof createFortellisProxy>;
  timeouts: SessionTimeouts;
  clock: Clock;
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
    });
  });

  router.use('/fortellis', (req, res) =>
    options.proxy(req, res, { subscriptionId: req.session.subscriptionId!, requestId: res.locals.requestId }),
  );

  router.use((_req, _res, next) => next(notFound()));
  return router;
}
