import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { AppMetrics } from './metrics';
import type { Views } from './views';
import { newCsrfToken, requireSessionCsrfToken } from './csrf';
import { AppError } from '../core/errors';
import { establishSession, regenerateSession, saveSession, type SessionIdentity } from './establish-session';
import type { MfaService, SecondStep } from '../auth/mfa/service';
import { PENDING_SIGN_IN_TTL_MS, type PendingSignIn } from '../auth/mfa/session-state';
import type { AuditLog } from '../auth/audit-log';
import { safeReturnPath } from './return-to';
import '../auth/mfa/session-state';

/**
 * The second step of signing in: after the right password, a user with a second factor gives a TOTP code, a
 * passkey or a recovery code; a user the MFA policy requires to have one and who has none enrols one first.
 * Until then the session is half signed in (`mfaPending`, no `userId`): it grants nothing else, and it
 * expires PENDING_SIGN_IN_TTL_MS after the password was accepted. Attempts are throttled like passwords
 * (reserved before the check, counted apart, per user and per address). Done, the session gets a new id.
 */

export interface SecondStepRoutesOptions {
  mfa: MfaService;
  views: Views;
  clock: Clock;
  logger: Logger;
  metrics: AppMetrics;
  /** A sign-in finished here is recorded like one finished by the password alone. */
  audit: AuditLog;
}

/** Makes the session half signed in (a new session id already: the password step is a privilege change too). */
export async function beginSecondStep(
  req: Request,
  identity: SessionIdentity,
  step: Exclude<SecondStep, 'none'>,
  now: number,
  returnTo: string | undefined,
): Promise<void> {
  await regenerateSession(req);
  req.session.mfaPending = { ...identity, passwordAt: now, mustEnrol: step === 'enrol', ...(returnTo ? { returnTo } : {}) };
  req.session.csrfToken = newCsrfToken();
  await saveSession(req);
}

/** The pending sign-in of this session if it has not expired (an expired one is dropped). */
export function activePendingSignIn(req: Request, clock: Clock): PendingSignIn | undefined {
  const pending = req.session?.mfaPending;
  if (!pending) return undefined;
  if (clock.now() >= pending.passwordAt + PENDING_SIGN_IN_TTL_MS) {
    delete req.session.mfaPending;
    return undefined;
  }
  return pending;
}

const codeSchema = z.object({ code: z.string().trim().min(1).max(64) });

const secondFactorFailed = () =>
  new AppError({ status: 401, code: 'second-factor-failed', title: 'Second factor not accepted', detail: 'The passkey was not accepted. Try again, or use a code.' });
const pendingExpired = () =>
  new AppError({ status: 401, code: 'sign-in-expired', title: 'Sign-in expired', detail: 'The second step took too long. Sign in again with your password.' });

/** The second step's routes (`/login/second-factor…`, `/login/enrol…`); see the comment at the top. */
export function secondStepRoutes(options: SecondStepRoutesOptions): Router {
  const { mfa, clock, logger } = options;
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 5 });
  const json = express.json({ limit: '16kb' });

  /** Pages: the pending sign-in of the right kind, or back to the password. */
  const pendingPage =
    (mustEnrol: boolean): RequestHandler =>
    (req, res, next) => {
      const pending = activePendingSignIn(req, clock);
      if (!pending) return res.redirect(303, '/login');
      if (pending.mustEnrol !== mustEnrol) return res.redirect(303, pending.mustEnrol ? '/login/enrol' : '/login/second-factor');
      res.locals.pending = pending;
      next();
    };
  const pendingApi: RequestHandler = (req, res, next) => {
    const pending = activePendingSignIn(req, clock);
    if (!pending || pending.mustEnrol) return next(pendingExpired());
    res.locals.pending = pending;
    next();
  };
  const pendingOf = (res: Response) => res.locals.pending as PendingSignIn;

  async function renderSecondFactor(req: Request, res: Response, status: number, error?: string) {
    const pending = pendingOf(res);
    const [hasTotp, hasPasskeys] = await Promise.all([mfa.hasTotp(pending.userId), mfa.hasPasskeys(pending.userId)]);
    res.status(status);
    options.views.render(res, 'login-second-factor', {
      title: 'Second step',
      nav: 'login',
      username: pending.username,
      hasTotp,
      hasPasskeys,
      csrfToken: req.session.csrfToken,
      error,
    });
  }

  /** Signs the user in for good; resolves with where they go next (the page they came for, else the dashboard). */
  async function finish(req: Request, res: Response, pending: PendingSignIn, factor: string): Promise<string> {
    const { passwordAt: _passwordAt, mustEnrol: _mustEnrol, returnTo, ...identity } = pending;
    await establishSession(req, identity, clock.now());
    options.metrics.signIns.inc({ result: 'success' });
    logger.info({ event: 'auth.sign-in.succeeded', requestId: res.locals.requestId, userId: pending.userId, secondFactor: factor }, 'signed in');
    await options.audit.record({ id: pending.userId, username: pending.username }, 'auth.sign-in.succeeded', pending.username, { secondFactor: factor });
    return safeReturnPath(returnTo) ?? '/dashboard';
  }

  /** Reserves an attempt; false (and the 429 answered) when this user or address is over its limit. */
  async function reserve(req: Request, res: Response, pending: PendingSignIn, answer: (retryAfterSeconds: number) => unknown): Promise<boolean> {
    const reservation = await mfa.throttle.reserve(pending.userId, req.ip ?? 'unknown');
    if (reservation.allowed) return true;
    options.metrics.signIns.inc({ result: 'throttled' });
    logger.warn({ event: 'auth.second-factor.throttled', requestId: res.locals.requestId, userId: pending.userId }, 'second factor throttled');
    res.setHeader('Retry-After', String(reservation.retryAfterSeconds));
    await answer(reservation.retryAfterSeconds);
    return false;
  }

  const failed = (res: Response, pending: PendingSignIn, factor: string) => {
    options.metrics.signIns.inc({ result: 'failure' });
    logger.info({ event: 'auth.second-factor.failed', requestId: res.locals.requestId, userId: pending.userId, secondFactor: factor }, 'second factor failed');
  };
  const tooMany = (seconds: number) => `Too many wrong codes. Try again in ${Math.ceil(seconds / 60)} minute(s).`;

  router.get('/login/second-factor', pendingPage(false), (req, res) => renderSecondFactor(req, res, 200));

  /** TOTP codes and recovery codes: the same form handling, a different check. */
  const codeRoute = (factor: 'totp' | 'recovery', check: (userId: string, code: string) => Promise<boolean>, wrong: string): RequestHandler[] => [
    pendingPage(false),
    form,
    requireSessionCsrfToken,
    async (req, res) => {
      const pending = pendingOf(res);
      const parsed = codeSchema.safeParse(req.body);
      if (!parsed.success) return renderSecondFactor(req, res, 400, 'Enter the code.');
      if (!(await reserve(req, res, pending, (seconds) => renderSecondFactor(req, res, 429, tooMany(seconds))))) return;
      if (!(await check(pending.userId, parsed.data.code))) {
        failed(res, pending, factor);
        return renderSecondFactor(req, res, 401, wrong);
      }
      await mfa.throttle.succeeded(pending.userId, req.ip ?? 'unknown');
      res.redirect(303, await finish(req, res, pending, factor));
    },
  ];

  router.post('/login/second-factor/totp', ...codeRoute('totp', (userId, code) => mfa.verifyTotp(userId, code), 'That code is not right, or was already used. Wait for the next one.'));
  router.post('/login/second-factor/recovery', ...codeRoute('recovery', (userId, code) => mfa.useRecoveryCode(userId, code), 'That recovery code is not right, or was already used.'));

  router.post('/login/second-factor/passkey/options', pendingApi, requireSessionCsrfToken, async (req, res) => {
    const pending = pendingOf(res);
    const optionsJson = await mfa.passkeyAuthenticationOptions(pending.userId);
    req.session.mfaChallenge = { challenge: optionsJson.challenge, purpose: 'authenticate', issuedAt: clock.now() };
    res.json(optionsJson);
  });

  router.post('/login/second-factor/passkey', pendingApi, json, requireSessionCsrfToken, async (req, res) => {
    const pending = pendingOf(res);
    const challenge = req.session.mfaChallenge;
    // One challenge, one try: it is gone whatever the answer.
    delete req.session.mfaChallenge;
    if (!(await reserve(req, res, pending, (seconds) => { throw new AppError({ status: 429, code: 'too-many-attempts', title: 'Too many attempts', detail: tooMany(seconds) }); }))) return;
    if (!challenge || challenge.purpose !== 'authenticate' || !(await mfa.verifyPasskey(pending.userId, req.body, challenge.challenge))) {
      failed(res, pending, 'passkey');
      throw secondFactorFailed();
    }
    await mfa.throttle.succeeded(pending.userId, req.ip ?? 'unknown');
    res.json({ redirect: await finish(req, res, pending, 'passkey') });
  });

  router.get('/login/enrol', pendingPage(true), async (req, res) => {
    const pending = pendingOf(res);
    options.views.render(res, 'login-enrol', {
      title: 'Set up a second factor',
      nav: 'login',
      username: pending.username,
      totpAvailable: mfa.totpAvailable,
      csrfToken: req.session.csrfToken,
    });
  });

  // Enrolling under the policy: the factor was added with the enrolment API (enrol-routes.ts); this checks
  // that there is one now and finishes the sign-in. Password + a factor just proven to be held.
  router.post('/login/enrol/continue', pendingPage(true), form, requireSessionCsrfToken, async (req, res) => {
    const pending = pendingOf(res);
    if ((await mfa.list(pending.userId)).length === 0) return res.redirect(303, '/login/enrol');
    res.redirect(303, await finish(req, res, pending, 'enrolled'));
  });

  return router;
}
