import { randomUUID } from 'node:crypto';
import { waitFor } from '@shop/infra';
import { createInboxTableMigration } from '../index';
import { handlerControl } from '../../test/effects-handler';
import { envelope, inboxFixture } from '../../test/inbox-fixture';
import { InboxServer } from './inbox-server';

describe('InboxServer on Kafka (real PostgreSQL and Kafka)', () => {
  const f = inboxFixture('inbox-it');

  it('applies an event delivered three times exactly once', async () => {
    const topic = await f.newTopic();
    const server = await f.startConsumer(topic);
    const e = envelope(1);
    await f.send(topic, JSON.stringify(e), JSON.stringify(e), JSON.stringify(e));
    await waitFor(
      'three deliveries handled',
      async () => server.stats.processed + server.stats.duplicates >= 3,
      30_000,
    );
    expect(await f.effectsOf(e.id)).toEqual([{ event_id: e.id, n: 1 }]);
    expect(server.stats).toEqual({ processed: 1, duplicates: 2, deadLettered: 0 });
  });

  it('handles a fetched run of messages in one transaction', async () => {
    const topic = await f.newTopic();
    const events = Array.from({ length: 50 }, (_, i) => envelope(100 + i));
    await f.send(topic, ...events.map((e) => JSON.stringify(e))); // one batch on the broker
    // Each inbox transaction has a query runner of its own.
    const runners = jest.spyOn(f.dataSource, 'createQueryRunner');
    let transactions: number;
    try {
      const server = await f.startConsumer(topic);
      await waitFor('50 handled', async () => server.stats.processed >= 50, 30_000);
      transactions = runners.mock.calls.length;
    } finally {
      runners.mockRestore();
    }
    expect((await f.effects()).filter((e) => e.n >= 100 && e.n < 150)).toHaveLength(50);
    expect(transactions).toBeLessThanOrEqual(5);
  });

  it('handles each message of a run on its own when one of them fails in it', async () => {
    const topic = await f.newTopic();
    const server = await f.startConsumer(topic, { maxAttempts: 3 });
    handlerControl.alwaysFailFor = 210;
    const events = Array.from({ length: 20 }, (_, i) => envelope(200 + i));
    await f.send(topic, ...[...events, events[5]].map((e) => JSON.stringify(e)));
    await waitFor(
      'all 21 handled or dead-lettered',
      async () => server.stats.processed + server.stats.duplicates + server.stats.deadLettered >= 21,
      30_000,
    );
    const applied = (await f.effects()).filter((e) => e.n >= 200 && e.n < 220).map((e) => e.n);
    expect(applied).toEqual(events.map((_, i) => 200 + i).filter((n) => n !== 210));
    expect(server.stats).toEqual({ processed: 19, duplicates: 1, deadLettered: 1 });
  });

  it('applies an event once when two consumers race on it', async () => {
    const topic = await f.newTopic();
    handlerControl.delayMs = 300; // both are inside their transactions at the same time
    const consumer = `racer-${randomUUID()}`;
    const [a, b] = await Promise.all([
      f.startConsumer(topic, { consumer, source: { groupId: `${consumer}-a` } }),
      f.startConsumer(topic, { consumer, source: { groupId: `${consumer}-b` } }),
    ]);
    const e = envelope(2);
    await f.send(topic, JSON.stringify(e));
    await waitFor(
      'both consumers handled it',
      async () => a.stats.processed + a.stats.duplicates + b.stats.processed + b.stats.duplicates >= 2,
      30_000,
    );
    expect(await f.effectsOf(e.id)).toHaveLength(1);
    expect(a.stats.processed + b.stats.processed).toBe(1);
    expect(a.stats.duplicates + b.stats.duplicates).toBe(1);
  });

  it('retries a failing handler and applies the event once', async () => {
    const topic = await f.newTopic();
    const server = await f.startConsumer(topic);
    handlerControl.failuresToInject = 2;
    const e = envelope(3);
    await f.send(topic, JSON.stringify(e));
    await waitFor('retried event applied', async () => (await f.effectsOf(e.id)).length === 1, 30_000);
    expect(handlerControl.failuresToInject).toBe(0);
    expect(server.stats).toMatchObject({ processed: 1, deadLettered: 0 });
  });

  it('keeps its rows in the schema and table it is given, made by the migration factory', async () => {
    const Migration = createInboxTableMigration({ schema: 'messaging', table: 'thing_inbox' });
    const runner = f.dataSource.createQueryRunner();
    await new Migration().up(runner).finally(() => runner.release());
    const topic = await f.newTopic();
    const server = await f.startConsumer(topic, { table: { schema: 'messaging', table: 'thing_inbox' } });
    const e = envelope(5);
    await f.send(topic, JSON.stringify(e), JSON.stringify(e));
    await waitFor('both copies seen', async () => server.stats.processed + server.stats.duplicates >= 2, 30_000);
    expect(server.stats).toMatchObject({ processed: 1, duplicates: 1 });
    const rows = await f.dataSource.query('SELECT event_id FROM messaging.thing_inbox WHERE event_id = $1', [e.id]);
    const defaultRows = await f.dataSource.query('SELECT 1 FROM public.inbox WHERE event_id = $1', [e.id]);
    expect([rows.length, defaultRows.length]).toEqual([1, 0]);
  });

  it('stops fetching while paused and picks up where it was on resume', async () => {
    const topic = await f.newTopic();
    const server = await f.startConsumer(topic);
    const first = envelope(6);
    await f.send(topic, JSON.stringify(first));
    await waitFor('first applied', async () => (await f.effectsOf(first.id)).length === 1, 30_000);
    server.pause();
    const second = envelope(7);
    await f.send(topic, JSON.stringify(second));
    await new Promise((r) => setTimeout(r, 3000));
    expect(await f.effectsOf(second.id)).toEqual([]);
    server.resume();
    await waitFor('second applied after resume', async () => (await f.effectsOf(second.id)).length === 1, 30_000);
  });

  it('deletes inbox rows past the retention horizon, and only those of its own consumer', async () => {
    const server = f.server('no-topic', { consumer: 'keeper', retentionDays: 14 }) as InboxServer;
    const insert = (consumer: string, daysAgo: number) =>
      f.dataSource.query(
        `INSERT INTO inbox (consumer, event_id, type, received_at) VALUES ($1, $2, 't.v1', now() - make_interval(days => $3))`,
        [consumer, randomUUID(), daysAgo],
      );
    await insert('keeper', 15);
    await insert('keeper', 13);
    await insert('someone-else', 30);
    expect(await server.applyRetention()).toBe(1);
    const left = await f.dataSource.query(
      `SELECT consumer FROM inbox WHERE consumer IN ('keeper', 'someone-else') ORDER BY consumer`,
    );
    expect(left.map((r: { consumer: string }) => r.consumer)).toEqual(['keeper', 'someone-else']);
  });
});
