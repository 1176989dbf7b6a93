import { backoffMs } from './backoff';

describe('backoffMs', () => {
  it('starts at the first delay and doubles per attempt', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 200))).toEqual([200, 400, 800, 1600, 3200]);
  });

  it('stops at the ceiling', () => {
    expect([1, 4, 5, 6, 50].map((n) => backoffMs(n, 500, 5_000))).toEqual([500, 4_000, 5_000, 5_000, 5_000]);
  });

  it('treats attempts below 1 as the first, and stays finite after a very long outage', () => {
    expect(backoffMs(0, 300)).toBe(300);
    expect(backoffMs(-3, 300)).toBe(300);
    expect(Number.isFinite(backoffMs(10_000, 300))).toBe(true);
  });
});
