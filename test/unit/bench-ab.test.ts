import { pairedRatio } from '../../bench/ab';

describe("the A/B benchmark's paired ratio", () => {
  it('is the geometric mean of the per-round ratios, so a slow round weighs on both contenders alike', () => {
    // Round 2 ran on a machine twice as slow: the ratio within each round is what counts.
    expect(pairedRatio([90, 180, 90], [100, 200, 100])).toEqual({ ratio: expect.closeTo(0.9, 10), standardError: expect.closeTo(0, 10) });
    expect(pairedRatio([110, 90], [100, 100]).ratio).toBeCloseTo(Math.sqrt(1.1 * 0.9), 10);
  });

  it('gives the standard error of the log ratios over the rounds', () => {
    const { standardError } = pairedRatio([110, 90], [100, 100]);
    const logs = [Math.log(1.1), Math.log(0.9)];
    const mean = (logs[0]! + logs[1]!) / 2;
    expect(standardError).toBeCloseTo(Math.sqrt(((logs[0]! - mean) ** 2 + (logs[1]! - mean) ** 2) / 1 / 2), 10);
    expect(pairedRatio([1], [1]).standardError).toBeNaN();
  });
});
