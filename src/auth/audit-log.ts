import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Clock } from '../lib/clock';
import type { Database } from '../db/schema';

export type AuditAction =
  | 'user.create'
  | 'mfa.enrol'
  | 'mfa.remove'
  | 'mfa.recovery-codes'
  | 'mfa.reset'
  | 'mfa.policy'
  | 'access-log.export'
  | 'user.password-reset'
  | 'user.deactivate'
  | 'user.activate'
  | 'user.unlock'
  | 'user.link-subscription'
  | 'user.unlink-subscription'
  | 'session.switch-subscription';

export interface Actor {
  id: string;
  username: string;
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

/** Who did what, when: admin actions and store switches, kept in the database. */
export class AuditLog {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async record(actor: Actor, action: AuditAction, target: string | null, detail?: Record<string, unknown>): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        id: randomUUID(),
        at: this.clock.now(),
        actor_id: actor.id,
        actor_username: actor.username,
        action,
        target,
        detail: detail ? JSON.stringify(detail) : null,
      })
      .execute();
  }

  /** The newest entries first. */
  async latest(limit = 200): Promise<AuditEntry[]> {
    const rows = await this.db.selectFrom('audit_log').selectAll().orderBy('at', 'desc').orderBy('id').limit(limit).execute();
    return rows.map((row) => ({
      id: row.id,
      at: Number(row.at),
      actorId: row.actor_id,
      actorUsername: row.actor_username,
      action: row.action as AuditAction,
      target: row.target,
      detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    }));
  }
}
