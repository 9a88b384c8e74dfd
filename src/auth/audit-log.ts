import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock';
import type { Database } from '../db/schema';

/** Every recorded change, by where it happens: the admin pages, the CLI, the dashboard, the sign-in form. */
export const AUDIT_ACTIONS = [
  'user.create',
  'user.remove',
  'user.password-reset',
  'user.deactivate',
  'user.activate',
  'user.unlock',
  'user.link-subscription',
  'user.unlink-subscription',
  'user.set-subscription',
  'session.switch-subscription',
  'auth.sign-in.succeeded',
  'auth.sign-in.failed',
  'auth.sign-in.locked',
  'mfa.enrol',
  'mfa.remove',
  'mfa.recovery-codes',
  'mfa.reset',
  'mfa.policy',
  'access-log.export',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: unknown): value is AuditAction {
  return typeof value === 'string' && (AUDIT_ACTIONS as readonly string[]).includes(value);
}

export interface Actor {
  /** The acting user's id; null when no account acted (the CLI, a failed sign-in). */
  id: string | null;
  username: string;
}

/** The column's width: a longer name (a failed sign-in's typed username) is cut to it. */
const MAX_NAME = 254;

/**
 * Who acts when someone runs `npm run user`: the operating-system account, since the CLI signs nobody in.
 * `os.userInfo()` is what the system says (not $USER, which the caller sets at will); it still names a
 * person only as far as the machine's accounts do.
 */
export function cliActor(osUsername: string): Actor {
  return { id: null, username: `cli:${osUsername || 'unknown'}`.slice(0, MAX_NAME) };
}

export interface AuditEntry {
  id: string;
  at: number;
  actorId: string | null;
  actorUsername: string;
  action: AuditAction;
  target: string | null;
  /** Client-safe facts about the change (never a password or a token). */
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  action?: AuditAction;
  /** Entries where this name acted or was acted on (exact, case-insensitive). */
  user?: string;
  /** From this instant (inclusive), in milliseconds. */
  from?: number;
  /** Before this instant (exclusive), in milliseconds. */
  to?: number;
  /** Zero-based page of `pageSize` entries, newest first. */
  page?: number;
  pageSize?: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Whether an older page exists. */
  hasMore: boolean;
}

let lastIdMs = 0;
let idSequence = 0;

/**
 * A UUID version 7 (RFC 9562): the millisecond first, then a counter, so ids sort in the order the entries
 * were recorded, also when several share a millisecond (a sign-in and the store switch after it on a fake
 * clock) and across processes (the CLI and the app) as far as their clocks agree. The log orders by it.
 */
export function timeOrderedId(nowMs: number): string {
  if (nowMs > lastIdMs) {
    lastIdMs = nowMs;
    idSequence = 0;
  } else if (++idSequence > 0xfff) {
    lastIdMs += 1;
    idSequence = 0;
  }
  const random = randomBytes(8);
  random[0] = (random[0]! & 0x3f) | 0x80;
  const hex = `${lastIdMs.toString(16).padStart(12, '0').slice(-12)}7${idSequence.toString(16).padStart(3, '0')}${random.toString('hex')}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Who did what, when: admin and CLI changes, store switches and sign-ins, kept in the database. */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async record(actor: Actor, action: AuditAction, target: string | null, detail?: Record<string, unknown>): Promise<void> {
    const at = this.clock.now();
    await this.db
      .insertInto('audit_log')
      .values({
        id: timeOrderedId(at),
        at,
        actor_id: actor.id,
        actor_username: actor.username.slice(0, MAX_NAME),
        action,
        target: target === null ? null : target.slice(0, MAX_NAME),
        detail: detail ? JSON.stringify(detail) : null,
      })
      .execute();
  }

  /** The newest entries first. */
  async latest(limit = 200): Promise<AuditEntry[]> {
    return (await this.query({ pageSize: limit })).entries;
  }

  /** One page of entries matching the filters, newest first. */
  async query(filters: AuditQuery): Promise<AuditPage> {
    const pageSize = filters.pageSize ?? 50;
    let select = this.db.selectFrom('audit_log').selectAll();
    if (filters.action) select = select.where('action', '=', filters.action);
    if (filters.user) {
      const name = filters.user.toLowerCase();
      select = select.where((eb) => eb.or([eb(eb.fn('lower', ['actor_username']), '=', name), eb(eb.fn('lower', ['target']), '=', name)]));
    }
    if (filters.from !== undefined) select = select.where('at', '>=', filters.from);
    if (filters.to !== undefined) select = select.where('at', '<', filters.to);
    // One row more than a page says whether an older page exists, without a count over the whole log.
    const rows = await select
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(pageSize + 1)
      .offset((filters.page ?? 0) * pageSize)
      .execute();
    return {
      hasMore: rows.length > pageSize,
      entries: rows.slice(0, pageSize).map((row) => ({
        id: row.id,
        at: Number(row.at),
        actorId: row.actor_id,
        actorUsername: row.actor_username,
        action: row.action as AuditAction,
        target: row.target,
        detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
      })),
    };
  }
}
