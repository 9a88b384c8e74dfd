import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { AppError } from '../core/errors';
import type { Clock } from '../lib/clock';
import type { Database, UsersTable, UserSubscriptionsTable } from '../db/schema';

export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];

/** A dealer subscription a user may act for. */
export interface LinkedSubscription {
  subscriptionId: string;
  /** The dealer's name as Fortellis gave it when the link was made. */
  orgName: string | null;
  linkedAt: number;
}

export interface User {
  id: string;
  username: string;
  role: Role;
  active: boolean;
  /** In the order they were linked; the first is the one a session starts with. */
  subscriptions: LinkedSubscription[];
  createdAt: number;
  updatedAt: number;
}

export interface UserWithPasswordHash extends User {
  passwordHash: string;
}

/** Usernames compare case-insensitively and after Unicode compatibility normalisation. */
export function normaliseUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export const usernameSchema = z
  .string()
  .transform(normaliseUsername)
  .pipe(
    z
      .string()
      .min(3, 'must be at least 3 characters')
      .max(64, 'must be at most 64 characters')
      .regex(/^[a-z0-9][a-z0-9._@-]*$/, 'may use only letters, digits, ".", "_", "@" and "-", starting with a letter or digit'),
  );

/** Fortellis Subscription-Ids are UUIDs, except sample ones such as `test`. */
export const subscriptionIdSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'may use only letters, digits, ".", "_" and "-"');

export const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters');

export const roleSchema = z.enum(ROLES, { error: 'must be admin or user' });

/** The username is taken (code `user-exists`, 409). */
export class UserExistsError extends AppError {
  constructor(username: string) {
    super({ status: 409, code: 'user-exists', title: 'Username taken', detail: `A user named "${username}" already exists` });
    this.name = 'UserExistsError';
  }
}

function toLink(row: Pick<Selectable<UserSubscriptionsTable>, 'subscription_id' | 'org_name' | 'linked_at'>): LinkedSubscription {
  return { subscriptionId: row.subscription_id, orgName: row.org_name, linkedAt: Number(row.linked_at) };
}

function toUser(row: Selectable<UsersTable>, links: LinkedSubscription[]): UserWithPasswordHash {
  return {
    id: row.id,
    username: row.username,
    role: row.role === 'admin' ? 'admin' : 'user',
    active: Number(row.active) === 1,
    subscriptions: links,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    passwordHash: row.password_hash,
  };
}

export function withoutHash({ passwordHash: _ignored, ...user }: UserWithPasswordHash): User {
  return user;
}

/** The app's users and their dealer subscriptions, in SQLite or PostgreSQL through the same Kysely queries. */
export class UsersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async create(input: { username: string; passwordHash: string; role?: Role; subscriptionId?: string; orgName?: string | null }): Promise<User> {
    const now = this.clock.now();
    const row = {
      id: randomUUID(),
      username: normaliseUsername(input.username),
      password_hash: input.passwordHash,
      role: input.role ?? 'user',
      active: 1,
      created_at: now,
      updated_at: now,
    };
    const links: LinkedSubscription[] = input.subscriptionId ? [{ subscriptionId: input.subscriptionId, orgName: input.orgName ?? null, linkedAt: now }] : [];
    await this.db.transaction().execute(async (trx) => {
      // ON CONFLICT DO NOTHING instead of parsing a driver's unique-violation message.
      const result = await trx.insertInto('users').values(row).onConflict((oc) => oc.column('username').doNothing()).executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw new UserExistsError(row.username);
      for (const link of links) {
        await trx.insertInto('user_subscriptions').values({ user_id: row.id, subscription_id: link.subscriptionId, org_name: link.orgName, linked_at: link.linkedAt }).execute();
      }
    });
    return withoutHash(toUser(row, links));
  }

  async findByUsername(username: string): Promise<UserWithPasswordHash | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return row ? toUser(row, await this.linksOf(row.id)) : undefined;
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? withoutHash(toUser(row, await this.linksOf(id))) : undefined;
  }

  async list(): Promise<User[]> {
    const [rows, links] = await Promise.all([
      this.db.selectFrom('users').selectAll().orderBy('username').execute(),
      this.db.selectFrom('user_subscriptions').selectAll().orderBy('linked_at').orderBy('subscription_id').execute(),
    ]);
    const byUser = new Map<string, LinkedSubscription[]>();
    for (const link of links) byUser.set(link.user_id, [...(byUser.get(link.user_id) ?? []), toLink(link)]);
    return rows.map((row) => withoutHash(toUser(row, byUser.get(row.id) ?? [])));
  }

  /** Removes the user (and their links); true when there was one. */
  async remove(username: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Links a subscription (idempotent). False when there is no such user. */
  async link(username: string, subscriptionId: string, orgName: string | null): Promise<boolean> {
    const user = await this.idOf(username);
    if (!user) return false;
    await this.db
      .insertInto('user_subscriptions')
      .values({ user_id: user, subscription_id: subscriptionId, org_name: orgName, linked_at: this.clock.now() })
      .onConflict((oc) => oc.columns(['user_id', 'subscription_id']).doUpdateSet({ org_name: orgName }))
      .execute();
    await this.touch(user);
    return true;
  }

  /** Unlinks a subscription; true when it was linked. */
  async unlink(username: string, subscriptionId: string): Promise<boolean> {
    const user = await this.idOf(username);
    if (!user) return false;
    const result = await this.db.deleteFrom('user_subscriptions').where('user_id', '=', user).where('subscription_id', '=', subscriptionId).executeTakeFirst();
    await this.touch(user);
    return Number(result.numDeletedRows) > 0;
  }

  /** Replaces all of a user's links with one subscription. */
  async setSubscription(username: string, subscriptionId: string): Promise<boolean> {
    const user = await this.idOf(username);
    if (!user) return false;
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('user_subscriptions').where('user_id', '=', user).execute();
      await trx.insertInto('user_subscriptions').values({ user_id: user, subscription_id: subscriptionId, org_name: null, linked_at: this.clock.now() }).execute();
    });
    await this.touch(user);
    return true;
  }

  /** Is this subscription one of the user's? (checked on every store switch) */
  async isLinked(userId: string, subscriptionId: string): Promise<boolean> {
    const row = await this.db.selectFrom('user_subscriptions').select('user_id').where('user_id', '=', userId).where('subscription_id', '=', subscriptionId).executeTakeFirst();
    return row !== undefined;
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    return this.update(username, { password_hash: passwordHash });
  }

  async setActive(username: string, active: boolean): Promise<boolean> {
    return this.update(username, { active: active ? 1 : 0 });
  }

  async setRole(username: string, role: Role): Promise<boolean> {
    return this.update(username, { role });
  }

  private async linksOf(userId: string): Promise<LinkedSubscription[]> {
    const rows = await this.db.selectFrom('user_subscriptions').selectAll().where('user_id', '=', userId).orderBy('linked_at').orderBy('subscription_id').execute();
    return rows.map(toLink);
  }

  private async idOf(username: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('users').select('id').where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return row?.id;
  }

  private async touch(userId: string): Promise<void> {
    await this.db.updateTable('users').set({ updated_at: this.clock.now() }).where('id', '=', userId).execute();
  }

  private async update(username: string, values: { password_hash?: string; active?: number; role?: Role }): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ ...values, updated_at: this.clock.now() })
      .where('username', '=', normaliseUsername(username))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
