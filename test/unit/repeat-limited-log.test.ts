import { RepeatLimiter } from '../../src/lib/repeat-limited-log';
import { FakeClock } from '../support/fake-clock';

describe('RepeatLimiter', () => {
  it('lets the first fault of a kind through, folds the rest of the window, then reports how many', () => {
    const clock = new FakeClock();
    const limiter = new RepeatLimiter(clock, 60_000);
    expect(limiter.shouldLog('fortellis-timeout')).toEqual({ log: true, suppressed: 0 });
    for (let i = 0; i < 5; i += 1) expect(limiter.shouldLog('fortellis-timeout')).toEqual({ log: false });
    expect(limiter.shouldLog('fortellis-unreachable')).toEqual({ log: true, suppressed: 0 });
    clock.advanceSeconds(60);
    expect(limiter.shouldLog('fortellis-timeout')).toEqual({ log: true, suppressed: 5 });
  });
});
