import 'express-session';
import type { Role } from '../users';

/** How long the second step may take after the password was right. */
export const PENDING_SIGN_IN_TTL_MS = 5 * 60_000;
/** How long a TOTP secret or WebAuthn challenge waits for its confirmation. */
export const ENROLMENT_TTL_MS = 10 * 60_000;

/**
 * A half-signed-in session: the password was right, the second factor is still owed. It holds no
 * `userId`, so every guard (isSignedIn, /api/*, the pages, the admin pages) treats it as signed out;
 * only the second-step routes read it.
 */
export interface PendingSignIn {
  userId: string;
  username: string;
  role: Role;
  subscriptionId?: string;
  /** The user's session generation read before the password check (see sign-in.ts): the full session keeps it. */
  generation?: number;
  /** When the password was accepted: the half state expires PENDING_SIGN_IN_TTL_MS later. */
  passwordAt: number;
  /** The policy requires a factor and the user has none: the second step is enrolling one. */
  mustEnrol: boolean;
  /** Where the sign-in goes once done: a same-origin path checked by safeReturnPath (return-to.ts). */
  returnTo?: string;
}

declare module 'express-session' {
  interface SessionData {
    mfaPending?: PendingSignIn;
    /** A TOTP secret shown once and waiting for its first code (sealed: sessions live in a store). */
    mfaTotpEnrolment?: { sealed: string; startedAt: number };
    /** The WebAuthn challenge in flight (one at a time; a new one replaces it). */
    mfaChallenge?: { challenge: string; purpose: 'register' | 'authenticate'; issuedAt: number };
  }
}
