import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import type { AuditLog } from '../auth/audit-log';
import { requireSessionCsrfToken } from './csrf';
import { AppError, badRequest, notSignedIn } from '../core/errors';
import type { MfaService } from '../auth/mfa/service';
import { activePendingSignIn } from './mfa-sign-in-routes';
import { ENROLMENT_TTL_MS } from '../auth/mfa/session-state';

/**
 * `/mfa/*`: JSON for the dashboard's "Sign-in security" section and for enrolling under the policy during
 * sign-in (public/js/mfa.js serves both). The subject is the signed-in user, or the half-signed-in user
 * whom the policy sends to enrol; nobody else. Unsafe calls carry the session's CSRF token. A new TOTP
 * secret and new recovery codes are in one answer only: afterwards the secret is only stored encrypted and
 * the codes only hashed.
 */

export interface EnrolRoutesOptions {
  mfa: MfaService;
  audit: AuditLog;
  clock: Clock;
  logger: Logger;
}

interface Subject {
  id: string;
  username: string;
  signedIn: boolean;
}

const labelSchema = z.string().trim().min(1).max(64).optional();
const totpConfirmSchema = z.object({ code: z.string().trim().min(1).max(16), label: labelSchema });
const passkeySchema = z.object({ credential: z.unknown(), label: labelSchema });

/**
 * How long after signing in a session may change its second factors. Later, the user signs in again first
 * (as GitHub's sudo mode does): a stolen or forgotten session must not enrol a factor of its own, which
 * would outlive a password reset, nor remove the user's.
 */
export const FACTOR_CHANGE_WINDOW_MS = 15 * 60_000;

const signInAgainFirst = () =>
  new AppError({
    status: 403,
    code: 'recent-sign-in-required',
    title: 'Sign in again first',
    detail: 'For your safety, second factors can be changed only within 15 minutes of signing in. Sign out, sign in again, and try once more.',
  });

const notAccepted = (detail: string) => new AppError({ status: 422, code: 'enrolment-not-confirmed', title: 'Not confirmed', detail });

/** The `/mfa/*` routes: listing, enrolling and removing second factors, new recovery codes. */
export function enrolRoutes(options: EnrolRoutesOptions): Router {
  const { mfa, clock } = options;
  const router = Router();
  const json = express.json({ limit: '16kb' });

  const subjectOf = (req: Request): Subject | undefined => {
    if (typeof req.session?.userId === 'string') return { id: req.session.userId, username: req.session.username ?? '', signedIn: true };
    const pending = activePendingSignIn(req, clock);
    return pending?.mustEnrol ? { id: pending.userId, username: pending.username, signedIn: false } : undefined;
  };
  const requireSubject: RequestHandler = (req, res, next) => {
    const subject = subjectOf(req);
    if (!subject) return next(notSignedIn());
    res.locals.mfaSubject = subject;
    next();
  };
  const subject = (res: Response) => res.locals.mfaSubject as Subject;
  const signedInOnly: RequestHandler = (_req, res, next) => next(subject(res).signedIn ? undefined : notSignedIn());
  /** On the record twice: the audit log (for admins) and a log line (for monitoring); never a secret or a code. */
  const audit = async (res: Response, action: 'mfa.enrol' | 'mfa.remove' | 'mfa.recovery-codes', detail: Record<string, unknown>) => {
    await options.audit.record({ id: subject(res).id, username: subject(res).username }, action, subject(res).username, detail);
    options.logger.info({ event: action, requestId: res.locals.requestId, userId: subject(res).id, ...detail }, 'second factors changed');
  };

  router.use('/mfa', requireSubject, json, requireSessionCsrfToken);
  // Changes need a recent sign-in; the half-signed-in user whom the policy sends to enrol has just given
  // the password, and the pending state itself lasts only minutes.
  router.use('/mfa', (req, res, next) => {
    if (req.method === 'GET' || !subject(res).signedIn) return next();
    const signedInAt = req.session.signedInAt ?? 0;
    next(clock.now() - signedInAt <= FACTOR_CHANGE_WINDOW_MS ? undefined : signInAgainFirst());
  });

  router.get('/mfa/factors', async (_req, res) => {
    const { id } = subject(res);
    const [factors, recoveryCodesLeft] = await Promise.all([mfa.list(id), mfa.recoveryCodesLeft(id)]);
    res.json({ factors, recoveryCodesLeft, totpAvailable: mfa.totpAvailable });
  });

  router.post('/mfa/totp', async (req, res) => {
    if (!mfa.totpAvailable) {
      throw new AppError({ status: 409, code: 'totp-unavailable', title: 'Authenticator apps unavailable', detail: 'This server has no MFA_ENCRYPTION_KEY, so it cannot keep TOTP secrets. Use a passkey.' });
    }
    const enrolment = await mfa.beginTotp(subject(res));
    req.session.mfaTotpEnrolment = { sealed: enrolment.sealed, startedAt: clock.now() };
    res.json({ secret: enrolment.secret, uri: enrolment.uri, qrDataUrl: enrolment.qrDataUrl });
  });

  router.post('/mfa/totp/confirm', async (req, res) => {
    const parsed = totpConfirmSchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('Send {"code": "123456"} with the code your app shows.');
    const pending = req.session.mfaTotpEnrolment;
    if (!pending || clock.now() >= pending.startedAt + ENROLMENT_TTL_MS) throw notAccepted('Start again: the secret was not confirmed in time.');
    const done = await mfa.confirmTotp(subject(res).id, pending.sealed, parsed.data.code, parsed.data.label ?? 'Authenticator app');
    if (!done) throw notAccepted('That code is not right. Check the time on your phone and try the next code.');
    delete req.session.mfaTotpEnrolment;
    await audit(res, 'mfa.enrol', { kind: 'totp', factorId: done.factorId });
    res.status(201).json({ factorId: done.factorId, recoveryCodes: done.recoveryCodes ?? null });
  });

  router.post('/mfa/passkey/options', async (req, res) => {
    const registration = await mfa.passkeyRegistrationOptions(subject(res));
    req.session.mfaChallenge = { challenge: registration.challenge, purpose: 'register', issuedAt: clock.now() };
    res.json(registration);
  });

  router.post('/mfa/passkey', async (req, res) => {
    const parsed = passkeySchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('Send {"credential": <the browser’s answer>}.');
    const challenge = req.session.mfaChallenge;
    delete req.session.mfaChallenge;
    if (!challenge || challenge.purpose !== 'register' || clock.now() >= challenge.issuedAt + ENROLMENT_TTL_MS) throw notAccepted('Start again: no registration is in progress.');
    const done = await mfa.finishPasskeyRegistration(subject(res).id, parsed.data.credential, challenge.challenge, parsed.data.label ?? 'Passkey');
    if (!done) throw notAccepted('The passkey could not be verified.');
    await audit(res, 'mfa.enrol', { kind: 'passkey', factorId: done.factorId });
    res.status(201).json({ factorId: done.factorId, recoveryCodes: done.recoveryCodes ?? null });
  });

  router.post('/mfa/recovery-codes', signedInOnly, async (_req, res) => {
    const { id } = subject(res);
    if ((await mfa.list(id)).length === 0) throw new AppError({ status: 409, code: 'no-second-factor', title: 'No second factor', detail: 'Set up a passkey or an authenticator app first.' });
    const recoveryCodes = await mfa.newRecoveryCodes(id);
    await audit(res, 'mfa.recovery-codes', { count: recoveryCodes.length });
    res.json({ recoveryCodes });
  });

  router.post('/mfa/factors/:id/delete', signedInOnly, async (req, res) => {
    const { id } = subject(res);
    const factors = await mfa.list(id);
    // The policy's point is that nobody required to have one signs in without: the last factor stays.
    if (factors.length === 1 && (await mfa.isRequiredFor(req.session.role ?? 'user'))) {
      throw new AppError({ status: 409, code: 'second-factor-required', title: 'Second factor required', detail: 'Your administrator requires a second factor: add another one before removing this one.' });
    }
    if (!(await mfa.remove(id, String(req.params.id)))) throw new AppError({ status: 404, code: 'no-such-factor', title: 'No such factor', detail: 'You have no such factor.' });
    await audit(res, 'mfa.remove', { factorId: String(req.params.id) });
    res.status(204).end();
  });

  return router;
}
