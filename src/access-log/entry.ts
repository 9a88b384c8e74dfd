/** One proxied call, as the access log keeps it (FTC Safeguards Rule, 16 CFR 314.4(c)(8)). */
export interface AccessEntry {
  /** When the call came in (ms since the epoch). */
  at: number;
  userId: string | null;
  username: string | null;
  /** The dealer: the session's Subscription-Id. */
  subscriptionId: string | null;
  method: string;
  /** The API path below /api/fortellis, without the query string (which may hold customer data). */
  path: string;
  /** What the browser was answered (499 when it went away first). */
  status: number;
  requestId: string | null;
  durationMs: number;
}

/** An entry as read back from the database. */
export interface StoredAccessEntry extends AccessEntry {
  id: string;
}
