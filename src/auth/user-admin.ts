import { z } from 'zod';
import { AppError } from '../core/errors';
import type { PasswordHasher } from './password';
import { passwordSchema, roleSchema, subscriptionIdSchema, usernameSchema, type Role, type User, type UsersRepository } from './users';

/** Whatever can end all of a user's sessions (every session store can). */
export interface SessionTerminator {
  destroyUserSessions(userId: string): Promise<number>;
}

/** A user change refused for its input (code `user-input-invalid`, 400): each problem in words. */
export class UserInputError extends AppError {
  constructor(readonly problems: string[]) {
    super({ status: 400, code: 'user-input-invalid', title: 'Invalid user details', detail: problems.join('; ') });
    this.name = 'UserInputError';
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UserInputError(result.error.issues.map((issue) => `${field} ${issue.message}`));
  return result.data;
}

/**
 * Managing the app's users (the CLI today, admin pages later). Changes that take access away end the
 * user's sessions at once, so a removed or deactivated user is out at their next request.
 */
export class UserAdministration {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly sessions: SessionTerminator,
  ) {}

  async add(input: { username: string; password: string; subscriptionId?: string; orgName?: string | null; role?: Role }): Promise<User> {
    const problems: string[] = [];
    const check = <T>(schema: z.ZodType<T>, value: unknown, field: string): T | undefined => {
      try {
        return parse(schema, value, field);
      } catch (error) {
        problems.push(...(error as UserInputError).problems);
        return undefined;
      }
    };
    const username = check(usernameSchema, input.username, 'username');
    const password = check(passwordSchema, input.password, 'password');
    const subscriptionId = input.subscriptionId === undefined ? undefined : check(subscriptionIdSchema, input.subscriptionId, 'Subscription-Id');
    const role = check(roleSchema, input.role ?? 'user', 'role');
    if (problems.length > 0) throw new UserInputError(problems);
    return this.users.create({ username: username!, passwordHash: await this.passwords.hash(password!), subscriptionId, orgName: input.orgName, role });
  }

  list(): Promise<User[]> {
    return this.users.list();
  }

  /** Removes the user and ends their sessions; false when there was no such user. */
  async remove(username: string): Promise<boolean> {
    const user = await this.users.findByUsername(username);
    if (!user) return false;
    await this.users.remove(username);
    await this.sessions.destroyUserSessions(user.id);
    return true;
  }

  /** Links a dealer subscription to the user; their sessions go on (they gain a store, lose nothing). */
  async link(username: string, subscriptionId: string, orgName: string | null): Promise<boolean> {
    return this.users.link(username, parse(subscriptionIdSchema, subscriptionId, 'Subscription-Id'), orgName);
  }

  /** A session may be acting for the unlinked subscription, so the user's sessions end. */
  async unlink(username: string, subscriptionId: string): Promise<boolean> {
    return this.changeAndEndSessions(username, () => this.users.unlink(username, subscriptionId));
  }

  /** Sessions hold the role they signed in with, so they end and the user signs in again. */
  async setRole(username: string, role: Role): Promise<boolean> {
    return this.changeAndEndSessions(username, () => this.users.setRole(username, parse(roleSchema, role, 'role')));
  }

  /** Replaces every link with one subscription; sessions holding another one end. */
  async setSubscription(username: string, subscriptionId: string): Promise<boolean> {
    return this.changeAndEndSessions(username, () => this.users.setSubscription(username, parse(subscriptionIdSchema, subscriptionId, 'Subscription-Id')));
  }

  async setPassword(username: string, password: string): Promise<boolean> {
    const hash = await this.passwords.hash(parse(passwordSchema, password, 'password'));
    return this.changeAndEndSessions(username, () => this.users.setPasswordHash(username, hash));
  }

  async setActive(username: string, active: boolean): Promise<boolean> {
    if (active) return this.users.setActive(username, true);
    return this.changeAndEndSessions(username, () => this.users.setActive(username, false));
  }

  /**
   * Removes the user's second factors and recovery codes (a lost phone or key) and ends their sessions, so a
   * session made with the old factors, or a half-finished second step, does not outlive the reset.
   */
  async resetSecondFactors(username: string, factors: { removeAll(userId: string): Promise<number> }): Promise<boolean> {
    const user = await this.users.findByUsername(username);
    if (!user) return false;
    await factors.removeAll(user.id);
    await this.sessions.destroyUserSessions(user.id);
    return true;
  }

  private async changeAndEndSessions(username: string, change: () => Promise<boolean>): Promise<boolean> {
    const user = await this.users.findByUsername(username);
    if (!user || !(await change())) return false;
    await this.sessions.destroyUserSessions(user.id);
    return true;
  }
}
