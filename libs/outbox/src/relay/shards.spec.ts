import { ALL, leaderLockName, shardOf, shardSql } from './shards';

describe('shardOf', () => {
  it('takes the first 32 bits of the MD5 of the id, unsigned, modulo the count', () => {
    // md5('order-1') = '6e7f85a9…' (1853851049); md5('order-3') = 'f93e03b3…' (4181590963,
    // above 2^31: read unsigned, not as a negative number).
    expect(shardOf('order-1', 1)).toBe(0);
    expect(shardOf('order-1', 7)).toBe(0x6e7f85a9 % 7);
    expect(shardOf('order-1', 256)).toBe(0xa9);
    expect(shardOf('order-3', 7)).toBe(0xf93e03b3 % 7);
    expect(shardOf('order-3', 256)).toBe(0xb3);
  });

  it('spreads ids over the shards', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`aggregate-${i}`, 4)] += 1;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it.each([0, 257, 1.5, Number.NaN])('refuses a shard count of %p', (count) => {
    expect(() => shardOf('a', count)).toThrow(/shardCount must be a whole number from 1 to 256/);
  });
});

describe('shard SQL and lock names', () => {
  it('adds no filter and keeps the relay name as its lock for a single shard', () => {
    expect(shardSql(ALL)).toBe('');
    expect(leaderLockName('orders', ALL)).toBe('orders');
  });

  it('filters on the hash and names a lock per shard and count otherwise', () => {
    expect(shardSql({ index: 2, count: 4 })).toBe(" AND ('x' || left(md5(o.aggregateid), 8))::bit(32)::bigint % 4 = 2");
    expect(leaderLockName('orders', { index: 2, count: 4 })).toBe('orders/2-of-4');
  });
});
