import { randomUUID } from 'node:crypto';
import { readTopic, waitFor } from '@shop/infra';
import { deadLetterTopicFor, InboxEnvelope } from '../index';
import { handlerControl } from '../../test/effects-handler';
import { envelope, inboxFixture } from '../../test/inbox-fixture';

/**
 * A fetched batch in one transaction, on the real PostgreSQL and Kafka: rows written by one
 * transaction share its id (`xmin`), so the tests see which messages committed together.
 */
describe('KafkaInboxBroker batches (real PostgreSQL and Kafka)', () => {
  const f = inboxFixture('inbox-batch-it');

  beforeAll(async () => {
    // The order effects were written in, across transactions and retries.
    await f.dataSource.query('ALTER TABLE effects ADD COLUMN applied bigserial');
  });

  /** Sends the records in one request, so one fetch brings them all. */
  const sendBatch = (topic: string, records: { key?: string; value: string | InboxEnvelope }[]) =>
    f.producer.send({
      topic,
      acks: -1,
      messages: records.map(({ key, value }) => ({
        key: key ?? (typeof value === 'string' ? 'thing-1' : value.aggregateId),
        value: typeof value === 'string' ? value : JSON.stringify(value),
      })),
    });

  const committedWith = async (ids: string[]) =>
    (await f.dataSource.query(
      'SELECT event_id, xmin::text AS tx FROM effects WHERE event_id = ANY($1::uuid[]) ORDER BY applied',
      [ids],
    )) as { event_id: string; tx: string }[];

  it('commits the neighbours of bad messages once, in their runs, and dead-letters each bad one with its reason', async () => {
    const topic = await f.newTopic();
    handlerControl.alwaysFailFor = 4;
    const good = [1, 2, 3, 5, 6, 9, 10].map((n) => envelope(n));
    await sendBatch(topic, [
      ...good.slice(0, 3).map((value) => ({ value })),
      { value: envelope(4) }, // its handler throws, every attempt
      ...good.slice(3, 5).map((value) => ({ value })),
      { value: 'not json' },
      { key: 'thing-2', value: envelope(8) }, // the record key contradicts the envelope
      ...good.slice(5).map((value) => ({ value })),
    ]);
    const server = await f.startConsumer(topic, { maxAttempts: 2 });
    await waitFor('the last good message', async () => (await f.effectsOf(good[6].id)).length === 1, 30_000);

    const rows = await committedWith(good.map((e) => e.id));
    expect(rows.map((r) => r.event_id)).toEqual(good.map((e) => e.id)); // once each, in order
    const [a, b, c] = [rows[0].tx, rows[3].tx, rows[5].tx];
    expect(rows.map((r) => r.tx)).toEqual([a, a, a, b, b, c, c]); // the runs between the bad messages
    expect(new Set([a, b, c]).size).toBe(3);
    expect(server.stats).toMatchObject({ processed: 7, duplicates: 0, deadLettered: 3 });

    const reader = await readTopic(deadLetterTopicFor(topic));
    try {
      const dead = await reader.waitFor(3);
      const offsetAndReason = dead.map((m) => [
        m.headers?.['dlt-original-offset']?.toString(),
        m.headers?.['dlt-error']?.toString(),
      ]);
      expect(offsetAndReason).toEqual([
        ['3', 'handler refuses n=4'],
        ['6', 'message value is not JSON'],
        ['7', "the transport contradicts the envelope: the record key is not the envelope's aggregateId"],
      ]);
    } finally {
      await reader.stop();
    }
  });

  it('absorbs a whole batch redelivered after a crash between the database commit and the offset commit', async () => {
    const topic = await f.newTopic();
    const group = `crash-${randomUUID()}`;
    const batch = [1, 2, 3, 4, 5].map((n) => envelope(n));
    await sendBatch(
      topic,
      batch.map((value) => ({ value })),
    );
    const signal = await f.crashAfterFirstCommit(topic, group);
    expect(signal).toBe('SIGKILL');
    const ids = batch.map((e) => e.id);
    const before = await committedWith(ids);
    expect(before.map((r) => r.event_id)).toEqual(ids); // the batch committed, in one transaction, before the crash
    expect(new Set(before.map((r) => r.tx)).size).toBe(1);

    const server = await f.startConsumer(topic, { consumer: group });
    await waitFor('the batch redelivered', async () => server.stats.duplicates === batch.length, 60_000);
    expect(server.stats.processed).toBe(0);
    expect(await committedWith(ids)).toEqual(before);
  });

  it('keeps each aggregate in order through a failed and retried message', async () => {
    const topic = await f.newTopic();
    const events = Array.from({ length: 20 }, (_, i) => envelope(i + 1, { aggregateId: `thing-${i % 2}` }));
    let failures = 1;
    handlerControl.beforeEffect = async (n) => {
      if (n === 9 && failures-- > 0) throw new Error('transient failure');
    };
    await sendBatch(
      topic,
      events.map((value) => ({ value })),
    );
    const server = await f.startConsumer(topic);
    await waitFor('every event applied', async () => server.stats.processed === events.length, 30_000);
    const rows = await committedWith(events.map((e) => e.id));
    for (const aggregate of ['thing-0', 'thing-1']) {
      const sent = events.filter((e) => e.aggregateId === aggregate).map((e) => e.id);
      expect(rows.map((r) => r.event_id).filter((id) => sent.includes(id))).toEqual(sent);
    }
    expect(server.stats).toMatchObject({ processed: 20, duplicates: 0, deadLettered: 0 });
  });
});
