import { SlotLagClock } from './slot-lag-clock';

describe('SlotLagClock', () => {
  const t0 = 1_000_000;

  it('is 0 while the slot has confirmed every sampled position', () => {
    const clock = new SlotLagClock();
    clock.sample('0/100', t0);
    clock.sample('0/200', t0 + 15_000);
    expect(clock.lagSeconds('0/200', t0 + 20_000)).toBe(0);
  });

  it('counts from the first sample past the confirmed position', () => {
    const clock = new SlotLagClock();
    clock.sample('0/100', t0);
    clock.sample('0/200', t0 + 15_000);
    clock.sample('0/300', t0 + 30_000);
    expect(clock.lagSeconds('0/180', t0 + 45_000)).toBe(30); // WAL past 0/180 existed at t0 + 15 s
    expect(clock.lagSeconds('0/50', t0 + 45_000)).toBe(45);
    expect(clock.lagSeconds(null, t0 + 45_000)).toBe(45);
  });

  it('keeps one sample per WAL position, compares LSNs as numbers, and forgets past its horizon', () => {
    const clock = new SlotLagClock(60_000);
    clock.sample('0/FFFFFFFF', t0);
    clock.sample('0/FFFFFFFF', t0 + 10_000); // an idle server: the older sample stands
    clock.sample('1/0', t0 + 20_000);
    expect(clock.lagSeconds('0/FFFFFFF0', t0 + 30_000)).toBe(30);
    expect(clock.lagSeconds('0/FFFFFFFF', t0 + 30_000)).toBe(10);
    clock.sample('1/10', t0 + 100_000);
    clock.sample('1/20', t0 + 110_000);
    expect(clock.lagSeconds('0/0', t0 + 110_000)).toBe(90); // the first sample is gone: newer ones lie beyond the horizon
  });
});
