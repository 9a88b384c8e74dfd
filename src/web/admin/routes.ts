import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { AUDIT_ACTIONS, isAuditAction, type AuditLog, type Actor, type AuditQuery } from '../../auth/audit-log';
import { isSignedIn } from '../guards';
import { signInAgainUrl } from '../return-to';
import { passwordSchema, roleSchema, subscriptionIdSchema, usernameSchema, type UsersRepository } from '../../auth/users';
import { UserAdministration, UserInputError } from '../../auth/user-admin';
import type { Subscription, SubscriptionsClient } from '../../fortellis/subscriptions';
import { requireSessionCsrfToken } from '../csrf';
import { AppError } from '../../core/errors';
import type { Views } from '../views';
import type { SignInThrottle } from '../../auth/sign-in-throttle';
import { securityRoutes, type SecurityRoutesOptions } from './security-routes';
import { accessLogRoutes, type AccessLogRoutesOptions } from './access-log-routes';

/**
 * Admin pages: the dealers that subscribed to the app (from Fortellis), the app's users and the subscriptions
 * linked to them, and the audit log. Admins only (checked against the database on every request, so a
 * demoted or deactivated admin is out at once); every change is a form post with the session's CSRF token,
 * is recorded in the audit log, and ends with a redirect (post/redirect/get).
 */

export interface AdminRoutesOptions {
  users: UsersRepository;
  admin: UserAdministration;
  subscriptions: SubscriptionsClient;
  audit: AuditLog;
  views: Views;
  /** Failed sign-ins lock an account for a while; admins see that and may lift it. */
  throttle: SignInThrottle;
  /** The sign-in security page (MFA policy, resets) and the access log page (issue 16). */
  security: Pick<SecurityRoutesOptions, 'mfa' | 'policy'>;
  accessLog: Pick<AccessLogRoutesOptions, 'store' | 'retentionDays'>;
}

/** Fixed messages for `?done=`: the page never echoes text from the URL. */
const DONE_MESSAGES: Record<string, string> = {
  created: 'User created.',
  'password-reset': 'Password changed; the user’s sessions have ended.',
  deactivated: 'User deactivated; their sessions have ended.',
  activated: 'User may sign in again.',
  linked: 'Subscription linked.',
  unlinked: 'Subscription unlinked; the user’s sessions have ended.',
  refreshed: 'Subscriptions reloaded from Fortellis.',
  unlocked: 'Sign-in unlocked: the user may try again now.',
};

const createSchema = z.object({
  username: usernameSchema,
  password: passwordSchema,
  role: roleSchema,
  subscriptionId: z.union([z.literal(''), subscriptionIdSchema]).optional(),
});
const passwordFormSchema = z.object({ password: passwordSchema });
const linkSchema = z.object({ subscriptionId: subscriptionIdSchema });

/** What the create-user form shows after a refusal: the typed values (never the password) and a problem per field. */
interface CreateFormState {
  values: Record<string, string>;
  problems: Record<string, string>;
}

/** Each field's first problem, in a sentence a person can act on. */
function fieldProblems(error: z.ZodError): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form');
    if (problems[field]) continue;
    const label = FIELD_LABELS[field] ?? 'This field';
    problems[field] = issue.code === 'invalid_type' ? `${label} is missing.` : `${label} ${issue.message}.`;
  }
  return problems;
}

const FIELD_LABELS: Record<string, string> = { username: 'Username', password: 'Password', role: 'Role', subscriptionId: 'Dealer subscription' };

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${String(issue.path[0] ?? 'form')} ${issue.message}`).join('; ');
}

const AUDIT_PAGE_SIZE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The audit page's filters from its query string. Anything that does not parse is named in `problems` and
 * left out of the query (the page still shows, unfiltered by it), never a 500.
 */
export function readAuditFilters(query: Record<string, unknown>): {
  query: AuditQuery;
  form: Record<string, string>;
  problems: string[];
  pageIndex: number;
} {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string).trim().slice(0, 254) : '');
  const problems: string[] = [];
  const form: Record<string, string> = {};
  const result: AuditQuery = {};
  const action = text('action');
  if (action) {
    if (isAuditAction(action)) {
      result.action = action;
      form.action = action;
    } else problems.push('That action is not one the log records: choose one from the list.');
  }
  const user = text('user');
  if (user) {
    result.user = user;
    form.user = user;
  }
  const day = (name: 'from' | 'to', label: string) => {
    const value = text(name);
    if (!value) return undefined;
    const ms = DAY.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
    if (Number.isNaN(ms)) {
      problems.push(`The ${label} date must be a day written as YYYY-MM-DD.`);
      return undefined;
    }
    form[name] = value;
    return ms;
  };
  const from = day('from', '“from”');
  const to = day('to', '“to”');
  if (from !== undefined) result.from = from;
  // "To" names a whole day: entries up to the end of it.
  if (to !== undefined) result.to = to + 24 * 60 * 60 * 1000;
  const page = Number(text('page') || '1');
  const pageIndex = Number.isInteger(page) && page >= 1 && page <= 10_000 ? page - 1 : 0;
  result.page = pageIndex;
  return { query: result, form, problems, pageIndex };
}

const forbidden = () => new AppError({ status: 403, code: 'admins-only', title: 'Administrators only', detail: 'This page is for the app’s administrators.' });

export function adminRoutes(options: AdminRoutesOptions): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  const requireAdmin: RequestHandler = async (req, res, next) => {
    if (!isSignedIn(req)) return res.redirect(303, signInAgainUrl(req));
    const user = await options.users.findById(req.session.userId!);
    if (!user || !user.active || user.role !== 'admin') return next(forbidden());
    res.locals.actor = { id: user.id, username: user.username } satisfies Actor;
    next();
  };

  router.use('/admin', requireAdmin, form, requireSessionCsrfToken);
  router.use(securityRoutes({ ...options.security, users: options.users, admin: options.admin, audit: options.audit, views: options.views }));
  router.use(accessLogRoutes({ ...options.accessLog, audit: options.audit, views: options.views }));

  /** The app's subscriptions, or the reason Fortellis could not say. */
  async function loadSubscriptions(): Promise<{ list: Subscription[]; problem?: string }> {
    try {
      return { list: await options.subscriptions.listSubscriptions() };
    } catch (error) {
      return { list: [], problem: error instanceof AppError && error.detail ? error.detail : 'Fortellis could not be reached.' };
    }
  }

  async function renderUsers(req: Request, res: Response, status = 200, error?: string, createForm?: CreateFormState): Promise<void> {
    const [users, subscriptions] = await Promise.all([options.users.list(), loadSubscriptions()]);
    const lockedFor = await Promise.all(users.map((user) => options.throttle.lockedFor(user.username)));
    const byId = new Map(subscriptions.list.map((s) => [s.subscriptionId, s]));
    res.status(status);
    options.views.render(res, 'admin-users', {
      title: 'Users',
      nav: 'admin',
      section: 'users',
      users: users.map((user, i) => ({
        ...user,
        lockedMinutes: lockedFor[i]! > 0 ? Math.ceil(lockedFor[i]! / 60) : 0,
        subscriptions: user.subscriptions.map((link) => ({ ...link, fortellis: byId.get(link.subscriptionId) })),
      })),
      subscriptions: subscriptions.list,
      subscriptionsProblem: subscriptions.problem,
      notice: DONE_MESSAGES[String(req.query.done)],
      error: createForm ? undefined : error,
      create: createForm ?? { values: {}, problems: {} },
      me: res.locals.actor.username,
    });
  }

  /** Linking checks with Fortellis that the subscription exists and is active; the page says why not. */
  async function checkLinkable(subscriptionId: string): Promise<Subscription> {
    let subscription: Subscription | undefined;
    try {
      subscription = await options.subscriptions.findSubscription(subscriptionId);
    } catch (error) {
      throw new AppError({ status: 502, code: 'subscriptions-unavailable', title: 'Fortellis unavailable', detail: 'Fortellis could not confirm the subscription. Try again in a moment.', cause: error });
    }
    if (!subscription) {
      throw new AppError({ status: 422, code: 'unknown-subscription', title: 'Unknown subscription', detail: `Fortellis does not list ${subscriptionId} among this app’s subscriptions.` });
    }
    if (subscription.status !== 'active') {
      const since = subscription.deactivationDate ? ` since ${subscription.deactivationDate}` : '';
      throw new AppError({ status: 422, code: 'inactive-subscription', title: 'Inactive subscription', detail: `${subscription.orgName || subscriptionId} is ${subscription.status}${since}: its API calls would fail.` });
    }
    return subscription;
  }

  /** Runs a change; a client mistake re-renders the users page with the reason instead of an error page. */
  const change = (action: (req: Request, res: Response) => Promise<string>): RequestHandler =>
    async (req, res) => {
      try {
        const done = await action(req, res);
        res.redirect(303, `/admin/users?done=${done}`);
      } catch (error) {
        // Classified by the error's fields: a client's mistake (4xx, with words for it) is shown on the page.
        if (error instanceof AppError && error.status < 500 && error.detail) return renderUsers(req, res, error.status, error.detail);
        throw error;
      }
    };

  const noSuchUser = () => new AppError({ status: 404, code: 'no-such-user', title: 'No such user', detail: 'There is no user by that name.' });
  const username = (req: Request) => String(req.params.username);
  const actor = (res: Response) => res.locals.actor as Actor;

  router.get('/admin', (_req, res) => res.redirect(303, '/admin/users'));
  router.get('/admin/users', (req, res) => renderUsers(req, res));

  router.get('/admin/subscriptions', async (req, res) => {
    const [subscriptions, users] = await Promise.all([loadSubscriptions(), options.users.list()]);
    const linkedUsers = (id: string) => users.filter((u) => u.subscriptions.some((s) => s.subscriptionId === id)).map((u) => u.username);
    options.views.render(res, 'admin-subscriptions', {
      title: 'Subscriptions',
      nav: 'admin',
      section: 'subscriptions',
      subscriptions: subscriptions.list.map((s) => ({ ...s, users: linkedUsers(s.subscriptionId) })),
      problem: subscriptions.problem,
      // A success notice from before (the URL) is not repeated over a failure now.
      notice: subscriptions.problem ? undefined : DONE_MESSAGES[String(req.query.done)],
    });
  });

  // "Reloaded" only when Fortellis answered: the page never shows a success above the error that denies it.
  router.post('/admin/subscriptions/refresh', async (_req, res) => {
    options.subscriptions.refresh();
    const reloaded = await loadSubscriptions();
    res.redirect(303, reloaded.problem ? '/admin/subscriptions' : '/admin/subscriptions?done=refreshed');
  });

  router.get('/admin/audit', async (req, res) => {
    const filters = readAuditFilters(req.query);
    const page = await options.audit.query({ ...filters.query, pageSize: AUDIT_PAGE_SIZE });
    // Links to the neighbouring pages keep the filters (as typed, re-encoded by URLSearchParams).
    const pageLink = (n: number) => `/admin/audit?${new URLSearchParams({ ...filters.form, ...(n > 0 ? { page: String(n + 1) } : {}) }).toString()}`;
    options.views.render(res, 'admin-audit', {
      title: 'Audit log',
      nav: 'admin',
      section: 'audit',
      entries: page.entries,
      actions: AUDIT_ACTIONS,
      form: filters.form,
      problems: filters.problems,
      pageNumber: filters.pageIndex + 1,
      newerLink: filters.pageIndex > 0 ? pageLink(filters.pageIndex - 1) : undefined,
      olderLink: page.hasMore ? pageLink(filters.pageIndex + 1) : undefined,
    });
  });

  // A refused form comes back as it was typed (but the password, which is never sent back to a page), each
  // problem said in words beside its field.
  router.post('/admin/users', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const typed = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).slice(0, 254) : '');
    const values = { username: typed('username'), role: typed('role'), subscriptionId: typed('subscriptionId') };
    const refuse = (status: number, problems: Record<string, string>) =>
      renderUsers(req, res, status, Object.values(problems).join(' '), { values, problems });
    const parsed = createSchema.safeParse(body);
    if (!parsed.success) return refuse(400, fieldProblems(parsed.error));
    const { subscriptionId, ...input } = parsed.data;
    let subscription: Subscription | undefined;
    try {
      subscription = subscriptionId ? await checkLinkable(subscriptionId) : undefined;
    } catch (error) {
      if (error instanceof AppError && error.detail) return refuse(error.status, { subscriptionId: error.detail });
      throw error;
    }
    try {
      const user = await options.admin.add({ ...input, subscriptionId: subscription?.subscriptionId, orgName: subscription?.orgName });
      await options.audit.record(actor(res), 'user.create', user.username, { role: user.role, subscriptionId: subscription?.subscriptionId ?? null });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === 'user-exists') return refuse(409, { username: `${error.message}: choose another username.` });
      if (error.code === 'user-input-invalid') return refuse(400, { form: error.message });
      throw error;
    }
    res.redirect(303, '/admin/users?done=created');
  });

  router.post(
    '/admin/users/:username/password',
    change(async (req, res) => {
      const parsed = passwordFormSchema.safeParse(req.body);
      if (!parsed.success) throw new UserInputError([describeIssues(parsed.error)]);
      if (!(await options.admin.setPassword(username(req), parsed.data.password))) throw noSuchUser();
      await options.audit.record(actor(res), 'user.password-reset', username(req));
      return 'password-reset';
    }),
  );

  router.post(
    '/admin/users/:username/deactivate',
    change(async (req, res) => {
      if (username(req) === actor(res).username) throw new UserInputError(['You cannot deactivate your own account.']);
      if (!(await options.admin.setActive(username(req), false))) throw noSuchUser();
      await options.audit.record(actor(res), 'user.deactivate', username(req));
      return 'deactivated';
    }),
  );

  router.post(
    '/admin/users/:username/activate',
    change(async (req, res) => {
      if (!(await options.admin.setActive(username(req), true))) throw noSuchUser();
      await options.audit.record(actor(res), 'user.activate', username(req));
      return 'activated';
    }),
  );

  // Five wrong passwords lock any account, an admin's too; the lockout is the brake on guessing, so only an
  // admin lifts it early, on purpose and on the record. The address count stays: a sprayer stays throttled.
  router.post(
    '/admin/users/:username/unlock',
    change(async (req, res) => {
      if (!(await options.users.findByUsername(username(req)))) throw noSuchUser();
      const wasLockedForSeconds = await options.throttle.lockedFor(username(req));
      await options.throttle.unlock(username(req));
      await options.audit.record(actor(res), 'user.unlock', username(req), { wasLockedForSeconds });
      return 'unlocked';
    }),
  );

  router.post(
    '/admin/users/:username/subscriptions',
    change(async (req, res) => {
      const parsed = linkSchema.safeParse(req.body);
      if (!parsed.success) throw new UserInputError([describeIssues(parsed.error)]);
      if (!(await options.users.findByUsername(username(req)))) throw noSuchUser();
      const subscription = await checkLinkable(parsed.data.subscriptionId);
      await options.admin.link(username(req), subscription.subscriptionId, subscription.orgName);
      await options.audit.record(actor(res), 'user.link-subscription', username(req), { subscriptionId: subscription.subscriptionId, orgName: subscription.orgName });
      return 'linked';
    }),
  );

  router.post(
    '/admin/users/:username/subscriptions/:subscriptionId/unlink',
    change(async (req, res) => {
      const subscriptionId = String(req.params.subscriptionId);
      if (!(await options.admin.unlink(username(req), subscriptionId))) {
        throw new AppError({ status: 404, code: 'no-such-link', title: 'No such link', detail: 'That user is not linked to that subscription.' });
      }
      await options.audit.record(actor(res), 'user.unlink-subscription', username(req), { subscriptionId });
      return 'unlinked';
    }),
  );

  return router;
}
