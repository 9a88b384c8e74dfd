import type { Request } from 'express';
import { newCsrfToken } from './csrf';
import type { Role } from '../auth/users';

/** Who a new signed-in session is for, and the session generation read before the password check. */
export interface SessionIdentity {
  userId: string;
  username: string;
  role: Role;
  subscriptionId?: string;
  generation?: number;
}

/** req.session.regenerate() as a promise. */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) => req.session.regenerate((error) => (error ? reject(error) : resolve())));
}

/** req.session.save() as a promise. */
export function saveSession(req: Request): Promise<void> {
  return new Promise<void>((resolve, reject) => req.session.save((error) => (error ? reject(error) : resolve())));
}

/**
 * Makes the request's session a signed-in one under a new session id (which defeats session fixation, OWASP
 * Session Management Cheat Sheet), with a fresh CSRF token. Used by the password step when no second factor
 * is owed, and by the second step once it is given (the half-signed-in session id is not kept either).
 */
export async function establishSession(req: Request, identity: SessionIdentity, now: number): Promise<void> {
  await regenerateSession(req);
  req.session.userId = identity.userId;
  req.session.username = identity.username;
  req.session.role = identity.role;
  req.session.subscriptionId = identity.subscriptionId;
  req.session.csrfToken = newCsrfToken();
  req.session.signedInAt = now;
  if (identity.generation !== undefined) req.session.generation = identity.generation;
  await saveSession(req);
}
