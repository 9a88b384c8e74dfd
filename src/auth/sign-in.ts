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

/** Where the session store keeps each user's session generation (see the stores' destroyUserSessions). */
export interface SessionGenerations {
  userSessionGeneration(userId: string): Promise<number>;
}

/**
 * authenticate(), plus the session generation the new session must be written under. The generation is
 * read before the user's row, so a deactivation, password reset or any other change that ends the user's
 * sessions either lands before the row is read (and the sign-in sees it and fails) or bumps the generation
 * after this read (and the store refuses the session, or deletes it with the others). Read after the
 * password check instead, a sign-in racing a password reset would keep a session made with the old password.
 */
export async function authenticateForSession(
  users: UsersRepository,
  passwords: PasswordHasher,
  sessions: SessionGenerations,
  username: string,
  password: string,
): Promise<{ user: User; generation: number | undefined } | undefined> {
  const known = await users.findByUsername(username);
  const generation = known ? await sessions.userSessionGeneration(known.id) : undefined;
  const user = await authenticate(users, passwords, username, password);
  if (!user) return undefined;
  // Removed and made again under the same name meanwhile: the generation read was another user's.
  return { user, generation: user.id === known?.id ? generation : undefined };
}
