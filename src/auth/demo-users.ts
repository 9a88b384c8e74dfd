import type { PasswordHasher } from './password';
import { AppError } from '../core/errors';
import type { UsersRepository } from './users';

export const DEMO_USER = { username: 'demo', password: 'demo-password', subscriptionId: 'test', role: 'user' } as const;
export const DEMO_ADMIN = { username: 'admin', password: 'admin-password', subscriptionId: 'test', role: 'admin' } as const;

/** Simulator mode only: the demo accounts the README and the sign-in page mention. */
export async function ensureDemoUsers(users: UsersRepository, passwords: PasswordHasher): Promise<void> {
  for (const account of [DEMO_USER, DEMO_ADMIN]) {
    if (await users.findByUsername(account.username)) continue;
    try {
      await users.create({ username: account.username, passwordHash: await passwords.hash(account.password), subscriptionId: account.subscriptionId, role: account.role });
    } catch (error) {
      // Another instance created it at the same moment: fine.
      if (!(error instanceof AppError && error.code === 'user-exists')) throw error;
    }
  }
}

/** Thrown at start-up outside simulator mode while a demo account still opens with its published password. */
export class DemoAccountsError extends Error {
  constructor(readonly usernames: string[]) {
    const fixes = usernames.map((name) => `npm run user -- remove ${name}   (or: npm run user -- set-password ${name})`);
    super(
      `Refusing to start outside simulator mode: the demo account(s) ${usernames.join(', ')} still have the well-known password ` +
        `published in the README, so anyone could sign in with them. Remove them or give them a new password, then start again:\n` +
        fixes.map((line) => `  ${line}`).join('\n'),
    );
    this.name = 'DemoAccountsError';
  }
}

/**
 * Outside simulator mode, refuses to go on while a demo account that simulator mode created still signs in
 * with its published password (a database first used in simulator mode, then with real credentials: the
 * README's own path). Only the two demo usernames are checked, against their own password: two hashes at
 * start-up. A deactivated demo account cannot sign in and is left alone. On refusal `close` runs first, so
 * the caller has nothing left open.
 */
export async function refuseWellKnownDemoPasswords(deps: { users: UsersRepository; passwords: PasswordHasher; close(): Promise<void> }): Promise<void> {
  const exposed: string[] = [];
  for (const account of [DEMO_ADMIN, DEMO_USER]) {
    const user = await deps.users.findByUsername(account.username);
    if (user?.active && (await deps.passwords.verify(account.password, user.passwordHash))) exposed.push(account.username);
  }
  if (exposed.length === 0) return;
  await deps.close();
  throw new DemoAccountsError(exposed);
}
