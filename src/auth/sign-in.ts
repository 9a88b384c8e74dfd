import type { PasswordHasher } from './password';
import type { User, UsersRepository } from './users';

/**
 * Checks a username and password. Unknown users, deactivated users and wrong passwords all cost one scrypt
 * verification and give the same answer, so neither the response nor its timing tells which usernames exist.
 */
export async function authenticate(users: UsersRepository, passwords: PasswordHasher, username: string, password: string): Promise<User | undefined> {
  const user = await users.findByUsername(username);
  if (!user) {
    await passwords.verifyAgainstDummy(password);
    return undefined;
  }
  const ok = await passwords.verify(password, user.passwordHash);
  if (!ok || !user.active) return undefined;
  const { passwordHash: _ignored, ...withoutHash } = user;
  return withoutHash;
}
