import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../lib/clock';
import type { Database, UsersTable } from '../db/schema';

export interface User {
  id: string;
  username: string;
  subscriptionId: string;
  active: boolean;
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

export class UserExistsError extends Error {
  constructor(username: string) {
    super(`A user named "${username}" already exists`);
    this.name = 'UserExistsError';
  }
}

function toUser(row: Selectable<UsersTable>): UserWithPasswordHash {
  return {
    id: row.id,
    username: row.username,
    subscriptionId: row.subscription_id,
    active: Number(row.active) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    passwordHash: row.password_hash,
  };
}

function withoutHash({ passwordHash: _ignored, ...user }: UserWithPasswordHash): User {
  return user;
}

/** The app's users, in SQLite or PostgreSQL through the same Kysely queries. */
export class UsersRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async create(input: { username: string; passwordHash: string; subscriptionId: string }): Promise<User> {
    const now = this.clock.now();
    const row = {
      id: randomUUID(),
      username: normaliseUsername(input.username),
      password_hash: input.passwordHash,
      subscription_id: input.subscriptionId,
      active: 1,
      created_at: now,
      updated_at: now,
    };
    // ON CONFLICT DO NOTHING instead of parsing a driver's unique-violation message.
    const result = await this.db.insertInto('users').values(row).onConflict((oc) => oc.column('username').doNothing()).executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) throw new UserExistsError(row.username);
    return withoutHash(toUser(row));
  }

  async findByUsername(username: string): Promise<UserWithPasswordHash | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async findById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? withoutHash(toUser(row)) : undefined;
  }

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map((row) => withoutHash(toUser(row)));
  }

  /** Removes the user; true when there was one. */
  async remove(username: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('username', '=', normaliseUsername(username)).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async setSubscription(username: string, subscriptionId: string): Promise<boolean> {
    return this.update(username, { subscription_id: subscriptionId });
  }

  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    return this.update(username, { password_hash: passwordHash });
  }

  async setActive(username: string, active: boolean): Promise<boolean> {
    return this.update(username, { active: active ? 1 : 0 });
  }

  private async update(username: string, values: Partial<Pick<UsersTable, 'subscription_id' | 'password_hash'>> & { active?: number }): Promise<boolean> {
    const result = await this.db
      .updateTable('users')
      .set({ ...values, updated_at: this.clock.now() })
      .where('username', '=', normaliseUsername(username))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}
