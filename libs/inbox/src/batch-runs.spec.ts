import { readableRun } from './batch-runs';

/** Reads numbers; negative ones cannot be read. */
const read = (n: number) => {
  if (n < 0) throw new Error(`unreadable ${n}`);
  return `m${n}`;
};

describe('readableRun', () => {
  it('takes consecutive readable messages from the start, up to the run size', () => {
    expect(readableRun([1, 2, 3, 4, 5], 0, 3, read)).toEqual(['m1', 'm2', 'm3']);
    expect(readableRun([1, 2, 3, 4, 5], 3, 3, read)).toEqual(['m4', 'm5']);
  });

  it('ends the run before an unreadable message', () => {
    expect(readableRun([1, 2, -3, 4], 0, 100, read)).toEqual(['m1', 'm2']);
  });

  it('is empty when the first message is unreadable, and picks up after it', () => {
    const messages = [1, -2, 3, 4];
    expect(readableRun(messages, 1, 100, read)).toEqual([]);
    expect(readableRun(messages, 2, 100, read)).toEqual(['m3', 'm4']);
  });

  it('takes one message at a time with size 1 (batching off), and at least one with a size below 1', () => {
    expect(readableRun([1, 2], 0, 1, read)).toEqual(['m1']);
    expect(readableRun([1, 2], 0, 0, read)).toEqual(['m1']);
  });

  it('is empty past the end', () => {
    expect(readableRun([1], 1, 10, read)).toEqual([]);
  });
});
