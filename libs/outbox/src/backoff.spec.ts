import { backoffMs } from './backoff';

describe('backoffMs', () => {
  const options = { initialMs: 250, maxMs: 30_000 };

  it('doubles its ceiling per failure up to the maximum', () => {
    const ceilings = [1, 2, 3, 4, 8, 9, 50].map((n) => backoffMs(n, options, () => 1));
    expect(ceilings).toEqual([250, 500, 1000, 2000, 30_000, 30_000, 30_000]);
  });

  it('waits at least half the ceiling, at random in its upper half', () => {
    expect(backoffMs(3, options, () => 0)).toBe(500);
    expect(backoffMs(3, options, () => 0.5)).toBe(750);
    for (let i = 0; i < 100; i++) {
      const ms = backoffMs(3, options);
      expect(ms).toBeGreaterThanOrEqual(500);
      expect(ms).toBeLessThanOrEqual(1000);
    }
  });

  it('takes a count below 1 as the first failure, and a huge one as the ceiling', () => {
    expect(backoffMs(0, options, () => 1)).toBe(250);
    expect(backoffMs(10_000, options, () => 1)).toBe(30_000);
  });
});
