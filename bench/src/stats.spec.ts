import { countUntil, saturated } from './stats';

describe('countUntil', () => {
  it('counts the timestamps at or before a time', () => {
    const at = new Map([
      ['a', 10],
      ['b', 20],
      ['c', 30],
    ]);
    expect([countUntil(at, 5), countUntil(at, 20), countUntil(at, 99)]).toEqual([0, 2, 3]);
  });
});

describe('saturated', () => {
  it('is below 90 % of the offered rate, or more than a second of traffic left behind', () => {
    expect(saturated(1000, 950, 100)).toBe(false);
    expect(saturated(1000, 890, 0)).toBe(true);
    expect(saturated(1000, 1000, 1001)).toBe(true);
  });
});
