import type { Request } from 'express';
import type { AuditLog } from '../auth/audit-log';
import { subscriptionIdSchema, type UsersRepository } from '../auth/users';
import { AppError, badRequest } from '../core/errors';

/**
 * Makes one of the user's own subscriptions the session's active one (the Subscription-Id every proxied
 * call carries). The link is checked in the database each time, and the switch is audited. Shared by the
 * JSON API and the dashboard's form.
 */
export async function switchSubscription(req: Request, users: UsersRepository, audit: AuditLog, requested: unknown): Promise<string> {
  const parsed = subscriptionIdSchema.safeParse(requested);
  if (!parsed.success) throw badRequest('Send {"subscriptionId": "<one of your subscriptions>"}.');
  const subscriptionId = parsed.data;
  if (!(await users.isLinked(req.session.userId!, subscriptionId))) {
    throw new AppError({ status: 403, code: 'not-your-subscription', title: 'Not one of your dealers', detail: 'Your account is not linked to this subscription.' });
  }
  const previous = req.session.subscriptionId ?? null;
  req.session.subscriptionId = subscriptionId;
  await audit.record({ id: req.session.userId!, username: req.session.username! }, 'session.switch-subscription', subscriptionId, { from: previous });
  return subscriptionId;
}
