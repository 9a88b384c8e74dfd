import type { Clock } from './clock';

/**
 * Lets the same kind of fault be logged once per window instead of once per request: while Fortellis is
 * down, a thousand failing calls give one warning (and the next one, a minute later, says how many were
 * folded into it) rather than a thousand. Each request still has its own access-log line with its status.
 */
export class RepeatLimiter {
  private readonly windows = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 1000,
  ) {}

  /** Whether to log a fault of this kind now; if so, how many were suppressed since the last line. */
  shouldLog(key: string): { log: true; suppressed: number } | { log: false } {
    const now = this.clock.now();
    const window = this.windows.get(key);
    if (window && now < window.until) {
      window.suppressed += 1;
      return { log: false };
    }
    if (this.windows.size >= this.maxKeys) this.windows.clear();
    this.windows.set(key, { until: now + this.windowMs, suppressed: 0 });
    return { log: true, suppressed: window?.suppressed ?? 0 };
  }
}
