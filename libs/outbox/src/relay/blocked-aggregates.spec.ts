import { BlockedAggregates } from './blocked-aggregates';

describe('BlockedAggregates', () => {
  afterEach(() => jest.useRealTimers());

  it('is read from the table before the first claim, and not again while nothing is parked', () => {
    jest.useFakeTimers({ now: 0 });
    const blocked = new BlockedAggregates();
    expect(blocked.stale).toBe(true);
    blocked.replace([{ id: 'r1', aggregatetype: 'order', aggregateid: 'a', seq: '7', waitMs: 60_000 }]);
    jest.setSystemTime(30_000);
    expect(blocked.stale).toBe(false);
  });

  it('is read again every 5 s while a row is parked, to see re-queues', () => {
    jest.useFakeTimers({ now: 0 });
    const blocked = new BlockedAggregates();
    blocked.replace([{ id: 'r1', aggregatetype: 'order', aggregateid: 'a', seq: '7', waitMs: null }]);
    jest.setSystemTime(4_999);
    expect(blocked.stale).toBe(false);
    jest.setSystemTime(5_000);
    expect(blocked.stale).toBe(true);
  });

  it('holds each aggregate from its lowest failing seq, by type, until the row is due again', () => {
    jest.useFakeTimers({ now: 0 });
    const blocked = new BlockedAggregates();
    blocked.replace([
      { id: 'r1', aggregatetype: 'order', aggregateid: 'a', seq: '99', waitMs: 1_000 },
      { id: 'r2', aggregatetype: 'order', aggregateid: 'a', seq: '100', waitMs: null },
      { id: 'r3', aggregatetype: 'shipment', aggregateid: 'a', seq: '20', waitMs: 1_000 },
    ]);
    blocked.add('r4', 'order', 'b', '30', 2_000);
    expect(JSON.parse(blocked.toParam())).toEqual({
      order: { a: '99', b: '30' },
      shipment: { a: '20' },
    });
    jest.setSystemTime(1_000);
    expect(JSON.parse(blocked.toParam())).toEqual({ order: { a: '100', b: '30' } });
    jest.setSystemTime(2_000);
    expect(JSON.parse(blocked.toParam())).toEqual({ order: { a: '100' } });
  });

  it('passes an empty object when nothing is held back', () => {
    expect(new BlockedAggregates().toParam()).toBe('{}');
  });
});
