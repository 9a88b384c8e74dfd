import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { Views } from './views';
import { requireSessionCsrfToken, type LoginCsrf } from './csrf';
import type { PasswordHasher } from '../auth/password';
import { authenticateForSession, type SessionGenerations } from '../auth/sign-in';
import { normaliseUsername, type UsersRepository } from '../auth/users';
import { isSignedIn } from './guards';
import { safeReturnPath, SIGN_IN_REASONS } from './return-to';
import type { SignInThrottle } from '../auth/sign-in-throttle';
import type { AppMetrics } from './metrics';
import { establishSession } from './establish-session';
import type { MfaService } from '../auth/mfa/service';
import { beginSecondStep } from './mfa-sign-in-routes';
import type { AuditLog } from '../auth/audit-log';

export interface AuthRoutesOptions {
  users: UsersRepository;
  passwords: PasswordHasher;
  views: Views;
  loginCsrf: LoginCsrf;
  clock: Clock;
  logger: Logger;
  cookie: { name: string; secure: boolean };
  throttle: SignInThrottle;
  /** The session store: a new session is written under the generation read before the password check. */
  sessions: SessionGenerations;
  metrics: AppMetrics;
  /** Second factors: whether a right password signs in, or leads to the second step. */
  mfa: MfaService;
  /** Sign-ins are recorded: success, failure, and the failure that locks the account. */
  audit: AuditLog;
  /** Shown on the sign-in page in simulator mode only. */
  demoHint?: { username: string; password: string };
}

// Strings only, with sane limits: arrays, objects or 10 kB usernames are a failed sign-in, never a 500.
const loginSchema = z.object({
  username: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
});

/** A failed sign-in's typed username is kept this long in the audit log (usernames are at most 64). */
const MAX_AUDITED_USERNAME = 64;

/** The app's own sign-in and sign-out. */
export function authRoutes(options: AuthRoutesOptions): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  // After sign-in the user lands on /dashboard, or on the page named by `returnTo` when safeReturnPath
  // accepts it (a same-origin path only), so the sign-in page cannot be turned into an open redirect.
  function renderLogin(res: Response, status: number, error?: string, username = '') {
    res.status(status);
    const req = res.req;
    options.views.render(res, 'login', {
      title: 'Sign in',
      csrfToken: options.loginCsrf.issue(res),
      error,
      username,
      demoHint: options.demoHint,
      returnTo: safeReturnPath(req.method === 'POST' ? (req.body as Record<string, unknown> | undefined)?.returnTo : req.query.returnTo),
      notice: req.method === 'GET' ? SIGN_IN_REASONS[String(req.query.reason)] : undefined,
    });
  }

  router.get('/login', (req, res) => {
    if (isSignedIn(req)) return res.redirect(303, '/dashboard');
    renderLogin(res, 200);
  });

  router.post('/login', form, async (req: Request, res: Response) => {
    if (!options.loginCsrf.verify(req)) {
      return renderLogin(res, 403, 'The sign-in form expired. Please try again.');
    }
    const parsed = loginSchema.safeParse(req.body);
    if (!parsed.success) {
      return renderLogin(res, 400, 'Enter your username and password.');
    }
    const { username, password } = parsed.data;
    const throttleKey = normaliseUsername(username);
    // req.ip believes X-Forwarded-For only as far as TRUST_PROXY says, so a forged header cannot reset this.
    const address = req.ip ?? 'unknown';
    // The attempt is reserved before the password is checked, so concurrent guesses cannot all pass a
    // check that is only counted once their hashes finish (see sign-in-throttle.ts).
    const reservation = await options.throttle.reserve(throttleKey, address);
    if (!reservation.allowed) {
      options.metrics.signIns.inc({ result: 'throttled' });
      options.logger.warn({ event: 'auth.sign-in.throttled', requestId: res.locals.requestId }, 'sign-in throttled');
      res.setHeader('Retry-After', String(reservation.retryAfterSeconds));
      return renderLogin(res, 429, `Too many failed sign-ins. Try again in ${Math.ceil(reservation.retryAfterSeconds / 60)} minute(s).`, username.slice(0, 254));
    }
    const signedIn = await authenticateForSession(options.users, options.passwords, options.sessions, username, password);
    if (!signedIn) {
      // The reserved attempt stays counted: that is the failure.
      options.metrics.signIns.inc({ result: 'failure' });
      options.logger.info({ event: 'auth.sign-in.failed', requestId: res.locals.requestId }, 'sign-in failed');
      // The typed name (cut to the column) is what was tried; never the password. Only the failure that
      // uses up the last attempt is recorded as a lockout, so a locked account's refused tries add no rows.
      const tried = throttleKey.slice(0, MAX_AUDITED_USERNAME);
      const claimed = { id: null, username: tried };
      await options.audit.record(claimed, 'auth.sign-in.failed', tried);
      const lockedForSeconds = await options.throttle.lockedFor(throttleKey);
      if (lockedForSeconds > 0) await options.audit.record(claimed, 'auth.sign-in.locked', tried, { lockedForSeconds });
      return renderLogin(res, 401, 'Wrong username or password.', username.slice(0, 254));
    }
    const { user, generation } = signedIn;
    await options.throttle.succeeded(throttleKey, address);
    const identity = { userId: user.id, username: user.username, role: user.role, subscriptionId: user.subscriptions[0]?.subscriptionId, generation };

    // A user with a second factor (or whom the MFA policy requires to enrol one) is only half signed in now:
    // see src/auth/mfa/sign-in-routes.ts. The session is theirs only once the second step is done.
    const secondStep = await options.mfa.secondStepFor(user);
    if (secondStep !== 'none') {
      await beginSecondStep(req, identity, secondStep, options.clock.now(), safeReturnPath((req.body as Record<string, unknown>).returnTo));
      options.loginCsrf.clear(res);
      options.logger.info({ event: 'auth.sign-in.password-accepted', requestId: res.locals.requestId, userId: user.id, secondStep }, 'password accepted; second factor owed');
      return res.redirect(303, secondStep === 'enrol' ? '/login/enrol' : '/login/second-factor');
    }
    options.metrics.signIns.inc({ result: 'success' });

    await establishSession(req, identity, options.clock.now());
    options.loginCsrf.clear(res);
    options.logger.info({ event: 'auth.sign-in.succeeded', requestId: res.locals.requestId, userId: user.id }, 'signed in');
    await options.audit.record({ id: user.id, username: user.username }, 'auth.sign-in.succeeded', user.username);
    res.redirect(303, safeReturnPath((req.body as Record<string, unknown>).returnTo) ?? '/dashboard');
  });

  router.post('/logout', form, (req, res, next) => {
    if (!isSignedIn(req)) return res.redirect(303, '/login');
    requireSessionCsrfToken(req, res, (error?: unknown) => {
      if (error) return next(error);
      const userId = req.session.userId;
      req.session.destroy((destroyError) => {
        if (destroyError) return next(destroyError);
        res.clearCookie(options.cookie.name, { httpOnly: true, sameSite: 'lax', secure: options.cookie.secure, path: '/' });
        options.logger.info({ event: 'auth.signed-out', requestId: res.locals.requestId, userId }, 'signed out');
        res.redirect(303, '/login');
      });
    });
  });

  return router;
}
