/**
 * The last proxied Request-Id of each session, kept in memory rather than in the session: writing the
 * session on every API call would cost a store write per request. Bounded, and per process (a fact for
 * the user's own pages, not a record).
 */
export class RecentActivity {
  private readonly lastRequestId = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  recordProxiedCall(sessionId: string, requestId: string): void {
    // Re-insert so that the Map's order is least-recently-used first.
    this.lastRequestId.delete(sessionId);
    this.lastRequestId.set(sessionId, requestId);
    if (this.lastRequestId.size > this.capacity) {
      this.lastRequestId.delete(this.lastRequestId.keys().next().value!);
    }
  }

  lastProxiedRequestId(sessionId: string): string | undefined {
    return this.lastRequestId.get(sessionId);
  }

  forget(sessionId: string): void {
    this.lastRequestId.delete(sessionId);
  }
}
