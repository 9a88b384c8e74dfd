import type { Scheduler, TimerHandle } from '../../src/lib/scheduler';
import type { FakeClock } from './fake-clock';

interface Task {
  due: number;
  run: () => void;
  cancelled: boolean;
}

/** Timers on a FakeClock: nothing runs until the test moves time with advance(). */
export class FakeScheduler implements Scheduler {
  private tasks: Task[] = [];

  constructor(private readonly clock: FakeClock) {}

  setTimeout(run: () => void, ms: number): TimerHandle {
    const task: Task = { due: this.clock.now() + ms, run, cancelled: false };
    this.tasks.push(task);
    return task;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as Task).cancelled = true;
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /** Moves the clock by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.clock.now() + ms;
    for (;;) {
      const next = this.tasks.filter((t) => !t.cancelled && t.due <= end).sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.clock.advance(Math.max(0, next.due - this.clock.now()));
      next.cancelled = true;
      next.run();
    }
    this.clock.advance(end - this.clock.now());
    this.tasks = this.tasks.filter((t) => !t.cancelled);
  }
}
