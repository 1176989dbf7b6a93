import { DataSource } from 'typeorm';
import { Inbox } from './inbox';
import { InboxSource } from './ports';

/** A source whose broker contact and lag the test sets; the database is never touched. */
const source = (lastContactAt: number, lag: InboxSource['lag']): InboxSource => ({
  start: () => undefined,
  stop: async () => undefined,
  pause: () => undefined,
  resume: () => undefined,
  lastContactAt: () => lastContactAt,
  lag,
});

const inbox = (src: InboxSource, options: { brokerDownAfterMs?: number; stalledAfterMs?: number } = {}) =>
  new Inbox({
    consumer: 'c',
    broker: { source: src, deadLetters: { send: async () => undefined, close: async () => undefined } },
    dataSource: {} as DataSource,
    handlerFor: () => undefined,
    lagTimeoutMs: 50,
    ...options,
  });

describe('Inbox.health', () => {
  it("is up with the broker answering and no lag for the inbox's consumer, started or not", async () => {
    const asked: string[] = [];
    const lag = async (consumer: string) => (asked.push(consumer), new Map([['t', 0]]));
    const health = await inbox(source(Date.now(), lag)).health();
    expect(health).toMatchObject({ up: true, lag: 0 });
    expect(asked).toEqual(['c']);
  });

  it('is down when the broker has been silent too long', async () => {
    const health = await inbox(
      source(Date.now() - 5_000, async () => new Map()),
      { brokerDownAfterMs: 1_000 },
    ).health();
    expect(health).toMatchObject({ up: false, reason: 'broker unreachable' });
    expect(health.brokerSilentMs).toBeGreaterThanOrEqual(5_000);
  });

  it('answers within the lag timeout when the broker does not', async () => {
    const started = Date.now();
    const health = await inbox(source(Date.now(), () => new Promise(() => undefined))).health();
    expect(health).toMatchObject({ up: false, reason: 'lag unknown: broker unreachable' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('is down when there is lag and nothing was handled for too long, summing the topics', async () => {
    const lag = async () =>
      new Map([
        ['a', 2],
        ['b', 3],
      ]);
    expect(await inbox(source(Date.now(), lag), { stalledAfterMs: -1 }).health()).toMatchObject({
      up: false,
      reason: 'lag without progress',
      lag: 5,
    });
    expect(await inbox(source(Date.now(), lag), { stalledAfterMs: 60_000 }).health()).toMatchObject({
      up: true,
      lag: 5,
    });
  });
});
