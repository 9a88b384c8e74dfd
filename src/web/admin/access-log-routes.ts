import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Actor, AuditLog } from '../../auth/audit-log';
import type { AccessLogFilter, AccessLogCursor, AccessLogStore } from '../../access-log/store';
import { streamExport } from '../../access-log/export';
import type { Views } from '../views';

/**
 * `/admin/access-log`: every proxied call, newest first, filtered by user, dealer, status and dates (UTC),
 * a page at a time; and its export as CSV or JSON Lines (streamed, audited). Mounted inside adminRoutes,
 * behind its admin check.
 */
export interface AccessLogRoutesOptions {
  store: AccessLogStore;
  audit: AuditLog;
  views: Views;
  /** Shown on the page: how long entries are kept. */
  retentionDays: number;
}

const PAGE_SIZE = 50;
const DAY_MS = 24 * 60 * 60_000;

const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const date = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
    .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), 'must be a real date')
    .optional(),
);
const querySchema = z.object({
  user: z.preprocess(blankToUndefined, z.string().trim().max(254).optional()),
  dealer: z.preprocess(blankToUndefined, z.string().trim().max(128).optional()),
  status: z.preprocess(blankToUndefined, z.string().trim().regex(/^[1-5](\d\d|xx)$/i, 'must be a status (404) or a class (4xx)').optional()),
  from: date,
  to: date,
  before: z.preprocess(blankToUndefined, z.string().regex(/^\d{1,15}_[0-9a-f-]{36}$/, 'is not a page of this log').optional()),
  format: z.enum(['csv', 'jsonl']).optional(),
});

type Query = z.infer<typeof querySchema>;

function toFilter(query: Query): AccessLogFilter {
  const status = query.status?.toLowerCase();
  return {
    username: query.user,
    subscriptionId: query.dealer,
    status: status === undefined ? undefined : status.endsWith('xx') ? { class: Number(status[0]) } : { exact: Number(status) },
    from: query.from ? Date.parse(`${query.from}T00:00:00Z`) : undefined,
    // The "to" day is included: entries before the start of the next day.
    to: query.to ? Date.parse(`${query.to}T00:00:00Z`) + DAY_MS : undefined,
  };
}

function toCursor(before: string | undefined): AccessLogCursor | undefined {
  if (!before) return undefined;
  const [at, id] = before.split('_');
  return { at: Number(at), id: id! };
}

/** `/admin/access-log` and `/admin/access-log/export`. */
export function accessLogRoutes(options: AccessLogRoutesOptions): Router {
  const router = Router();
  const actor = (res: Response) => res.locals.actor as Actor;

  function parse(req: Request): { query: Query } | { error: string } {
    const parsed = querySchema.safeParse(req.query);
    if (parsed.success) return { query: parsed.data };
    return { error: parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`).join('; ') };
  }

  router.get('/admin/access-log', async (req, res) => {
    const result = parse(req);
    const base = { title: 'Access log', nav: 'admin', section: 'access-log', retentionDays: options.retentionDays };
    if ('error' in result) {
      res.status(400);
      return options.views.render(res, 'admin-access-log', { ...base, query: {}, entries: [], total: 0, error: `The filter is not valid: ${result.error}.` });
    }
    const { query } = result;
    const filter = toFilter(query);
    const [entries, total] = await Promise.all([options.store.page(filter, PAGE_SIZE + 1, toCursor(query.before)), options.store.count(filter)]);
    const shown = entries.slice(0, PAGE_SIZE);
    const last = shown[shown.length - 1];
    const filterParams = new URLSearchParams(Object.entries({ user: query.user, dealer: query.dealer, status: query.status, from: query.from, to: query.to }).filter((e): e is [string, string] => e[1] !== undefined));
    const olderParams = new URLSearchParams(filterParams);
    if (last) olderParams.set('before', `${last.at}_${last.id}`);
    options.views.render(res, 'admin-access-log', {
      ...base,
      query,
      entries: shown,
      total,
      olderHref: entries.length > PAGE_SIZE ? `/admin/access-log?${olderParams}` : undefined,
      newestHref: query.before ? `/admin/access-log?${filterParams}` : undefined,
      exportQuery: filterParams.toString(),
    });
  });

  router.get('/admin/access-log/export', async (req, res) => {
    const result = parse(req);
    if ('error' in result) {
      res.status(400).type('text/plain').send(`The filter is not valid: ${result.error}.`);
      return;
    }
    const { query } = result;
    const format = query.format ?? 'csv';
    const filter = toFilter(query);
    // Who took a copy of the log, and which part: on the record like any other admin action.
    await options.audit.record(actor(res), 'access-log.export', null, { format, user: query.user ?? null, dealer: query.dealer ?? null, status: query.status ?? null, from: query.from ?? null, to: query.to ?? null });
    await streamExport(res, format, options.store.all(filter), 'access-log');
  });

  return router;
}
