import { SqlRunner } from '../outbox-sql';
import { markStreamed } from './mark-streamed';

/** A session whose UPDATE finds each row only from its `visibleFrom`-th attempt on. */
const session = (visibleFrom: Record<string, number>) => {
  const calls: string[][] = [];
  const runner: SqlRunner = {
    async query(_sql: string, params?: unknown[]) {
      const ids = (params as [string[]])[0];
      calls.push(ids);
      const found = ids.filter((id) => calls.length >= (visibleFrom[id] ?? Infinity)).map((id) => ({ id }));
      return [found, found.length];
    },
  };
  return { runner, calls };
};

describe('markStreamed', () => {
  it('marks again, alone, the rows its UPDATE could not see yet', async () => {
    const { runner, calls } = session({ a: 1, b: 3 });
    expect(await markStreamed(runner, 'UPDATE', ['a', 'b'])).toEqual([]);
    expect(calls).toEqual([['a', 'b'], ['b'], ['b']]);
  });

  it('gives up on a row it never finds and returns it', async () => {
    const { runner, calls } = session({ a: 1 });
    expect(await markStreamed(runner, 'UPDATE', ['a', 'gone'], { giveUpMs: 20 })).toEqual(['gone']);
    expect(calls.length).toBeGreaterThan(2);
    expect(calls.slice(1).every((ids) => ids.length === 1 && ids[0] === 'gone')).toBe(true);
  });
});
