import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Actor, AuditLog } from '../../auth/audit-log';
import type { UserAdministration } from '../../auth/user-admin';
import { roleSchema, type UsersRepository } from '../../auth/users';
import type { MfaPolicyStore } from '../../auth/mfa/policy';
import type { MfaService } from '../../auth/mfa/service';
import { AppError } from '../../core/errors';
import type { Views } from '../views';

/**
 * `/admin/security`: who must use a second factor (everyone, or some roles), each user's factors, and the
 * reset of a user's factors (a lost phone or key). Mounted inside adminRoutes, behind its admin check, form
 * parser and CSRF check. Both changes are audited; a reset ends the user's sessions.
 */
export interface SecurityRoutesOptions {
  users: UsersRepository;
  admin: UserAdministration;
  mfa: MfaService;
  policy: MfaPolicyStore;
  audit: AuditLog;
  views: Views;
}

const DONE: Record<string, string> = {
  policy: 'MFA policy saved: it applies from each user’s next sign-in.',
  reset: 'Second factors removed; the user’s sessions have ended. They sign in with their password and enrol again.',
};

const policyForm = z.object({
  everyone: z.literal('on').optional(),
  roles: z.union([roleSchema, z.array(roleSchema)]).optional(),
});

/** `/admin/security` and its two form posts (policy, reset). */
export function securityRoutes(options: SecurityRoutesOptions): Router {
  const router = Router();
  const actor = (res: Response) => res.locals.actor as Actor;

  router.get('/admin/security', async (req, res) => {
    const [policy, users] = await Promise.all([options.policy.get(), options.users.list()]);
    const factors = await Promise.all(users.map((user) => options.mfa.list(user.id)));
    options.views.render(res, 'admin-security', {
      title: 'Sign-in security',
      nav: 'admin',
      section: 'security',
      policy,
      totpAvailable: options.mfa.totpAvailable,
      users: users.map((user, i) => ({ username: user.username, role: user.role, factors: factors[i]!.map((f) => `${f.kind === 'totp' ? 'Authenticator app' : 'Passkey'}: ${f.label}`) })),
      notice: DONE[String(req.query.done)],
    });
  });

  router.post('/admin/security/policy', async (req, res) => {
    const parsed = policyForm.safeParse(req.body);
    if (!parsed.success) throw new AppError({ status: 400, code: 'bad-policy', title: 'Bad policy', detail: 'Tick "everyone" or the roles that must use a second factor.' });
    const roles = parsed.data.roles === undefined ? [] : [parsed.data.roles].flat();
    const policy = { everyone: parsed.data.everyone === 'on', roles };
    await options.policy.set(policy);
    await options.audit.record(actor(res), 'mfa.policy', null, policy);
    res.redirect(303, '/admin/security?done=policy');
  });

  router.post('/admin/security/users/:username/reset', async (req, res) => {
    const username = String(req.params.username);
    if (!(await options.admin.resetSecondFactors(username, options.mfa.store))) {
      throw new AppError({ status: 404, code: 'no-such-user', title: 'No such user', detail: 'There is no user by that name.' });
    }
    await options.audit.record(actor(res), 'mfa.reset', username);
    res.redirect(303, '/admin/security?done=reset');
  });

  return router;
}
