/**
 * Timers, injected like the clock: background work (flushing the access log, pruning it) is scheduled
 * through this, so tests run it by moving a fake clock instead of waiting.
 */
export interface Scheduler {
  /** Runs `task` once after `ms`; the returned handle cancels it. Timers never keep the process alive. */
  setTimeout(task: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type TimerHandle = { readonly cancelled?: boolean } | NodeJS.Timeout;

export const systemScheduler: Scheduler = {
  setTimeout(task, ms) {
    const timer = setTimeout(task, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
