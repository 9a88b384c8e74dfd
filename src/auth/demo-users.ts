import type { PasswordHasher } from './password';
import { UserExistsError, type UsersRepository } from './users';

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
      if (!(error instanceof UserExistsError)) throw error;
    }
  }
}
