import { timeOrderedId } from '../../src/lib/time-ordered-id';

describe('timeOrderedId', () => {
  it('is a UUID version 7 with the time in milliseconds in its first 48 bits', () => {
    const ms = Date.UTC(2026, 11, 3, 10, 0, 0, 123);
    const id = timeOrderedId(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
  });

  it('sorts by time as text (what the primary-key index sees), and differs within a millisecond', () => {
    const ids = [0, 1, 255, 256, 1_700_000_000_000, 1_700_000_000_001, 2 ** 47].map(timeOrderedId);
    expect([...ids].sort()).toEqual(ids);
    expect(timeOrderedId(42)).not.toBe(timeOrderedId(42));
  });
});
