/**
 * express-session touches the store on every request of an unchanged session. Writing each touch would
 * cost one store write per API call, so stores skip a touch that comes within `intervalMs` of their last
 * write for that session (the idle timeout is then accurate to that interval).
 */
export class TouchThrottle {
  private readonly lastWrite = new Map<string, number>();

  constructor(
    readonly intervalMs: number,
    private readonly capacity = 100_000,
  ) {}

  /** The interval for an idle timeout: a tenth of it, at most a minute. */
  static forTtl(ttlMs: number): TouchThrottle {
    return new TouchThrottle(Math.min(60_000, Math.floor(ttlMs / 10)));
  }

  shouldWrite(sid: string, now: number): boolean {
    return now - (this.lastWrite.get(sid) ?? Number.NEGATIVE_INFINITY) >= this.intervalMs;
  }

  wrote(sid: string, now: number): void {
    // Bounded memory: forgetting entries only costs an extra touch write.
    if (this.lastWrite.size >= this.capacity) this.lastWrite.clear();
    this.lastWrite.set(sid, now);
  }

  forget(sid: string): void {
    this.lastWrite.delete(sid);
  }
}
