import type { Response } from 'express';

/**
 * Waits for fault delays without outliving their request or the simulator: a delay ends early when the
 * client disconnects, and `cancelAll` (on close) ends every pending one. Timers are `unref`ed so a
 * forgotten delay never keeps a test process alive.
 */
export class FaultDelays {
  private readonly pending = new Set<() => void>();

  /** Resolves true after `ms`, or false as soon as the response's connection closes or on `cancelAll`. */
  wait(ms: number, res: Response): Promise<boolean> {
    if (res.writableEnded || res.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (completed: boolean) => {
        clearTimeout(timer);
        res.off('close', cancel);
        this.pending.delete(cancel);
        resolve(completed);
      };
      const cancel = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      timer.unref();
      res.once('close', cancel);
      this.pending.add(cancel);
    });
  }

  /** How many delays are still waiting. */
  get size(): number {
    return this.pending.size;
  }

  /** Ends every pending delay now (their requests are not answered). */
  cancelAll(): void {
    for (const cancel of [...this.pending]) cancel();
  }
}
