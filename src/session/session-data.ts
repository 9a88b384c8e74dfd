import 'express-session';

/** What the server keeps about a signed-in browser. Nothing from Fortellis but the Subscription-Id. */
declare module 'express-session' {
  interface SessionData {
    userId: string;
    username: string;
    role: 'admin' | 'user';
    /** The dealer this session acts for: one of the user's linked subscriptions (none when unlinked). */
    subscriptionId?: string;
    /** Synchronizer token for unsafe requests (OWASP CSRF cheat sheet). */
    csrfToken: string;
    /** When the user signed in: the absolute lifetime counts from here. */
    signedInAt: number;
    /**
     * The user's session generation this session was created under, filled in by the store when it loads
     * the session. Ending a user's sessions bumps the generation; a write under an older one is refused.
     */
    generation?: number;
  }
}
