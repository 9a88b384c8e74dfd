import type { PasswordHasher } from './password';
import { UserExistsError, type UsersRepository } from './users';

export const DEMO_USER = { username: 'demo', password: 'demo-password', subscriptionId: 'test' } as const;

/** Simulator mode only: the demo account the README and the sign-in page mention. */
export async function ensureDemoUser(users: UsersRepository, passwords: PasswordHasher): Promise<void> {
  if (await users.findByUsername(DEMO_USER.username)) return;
  try {
    await users.create({ username: DEMO_USER.username, passwordHash: await passwords.hash(DEMO_USER.password), subscriptionId: DEMO_USER.subscriptionId });
  } catch (error) {
    // Another instance created it at the same moment: fine.
    if (!(error instanceof UserExistsError)) throw error;
  }
}
