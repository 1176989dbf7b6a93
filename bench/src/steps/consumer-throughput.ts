import { DataSource } from 'typeorm';
import { logLevel } from 'kafkajs';
import { kafkaClient } from '@shop/infra';
import { parseEventData, OrderPlacedV1 } from '@shop/contracts';
import { InboxSettings } from '@transactional-outbox/inbox';
import { KafkaInboxBroker } from '@transactional-outbox/inbox/kafkajs';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { benchDatabase, createTopic, deleteTopics, kafka, orderPlacedEvent } from '../fixtures';
import { createConsumerTables, inboxRate, rateOf, recordEffect, RUN, waitForCount } from './consumer-effect';

/** With the inbox: the library's transport; by default a transaction per run of a fetched batch, with its inbox rows. */
const withInbox = (
  ds: DataSource,
  topic: string,
  count: number,
  label: string,
  settings: Partial<InboxSettings> = {},
) =>
  inboxRate(
    ds,
    new KafkaInboxBroker({
      kafka: { clientId: 'bench-inbox', ...kafkaClient(), logLevel: logLevel.NOTHING },
      topics: [topic],
    }),
    count,
    label,
    settings,
  );

/**
 * Without: the same consumer settings, validation, transactions (one per run of up to 100
 * messages of a fetched batch) and offset commits (batched) as the inbox, no inbox row.
 */
async function withoutInbox(ds: DataSource, topic: string, count: number): Promise<number> {
  const times: number[] = [];
  const consumer = kafka.consumer({
    groupId: 'bench-plain',
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 1_000,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1_000,
    autoCommitThreshold: 100,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
      for (let i = 0; i < batch.messages.length; i += RUN) {
        const run = batch.messages.slice(i, i + RUN);
        const events = run.map((m) => parseEventData(JSON.parse(String(m.value))) as OrderPlacedV1);
        await ds.transaction(async (manager) => {
          for (const event of events) await recordEffect(manager, event);
        });
        const now = performance.now();
        for (let k = 0; k < run.length; k++) times.push(now);
        resolveOffset(run[run.length - 1].offset);
        await heartbeat();
        await commitOffsetsIfNecessary();
      }
    },
  });
  try {
    await waitForCount(times, count, 'without inbox');
  } finally {
    await consumer.disconnect();
  }
  return rateOf(times);
}

/** Metric 5: consumer throughput with the inbox dedup vs without it, over the same messages. */
export async function consumerThroughput(count: number): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_consumer');
  const topic = await createTopic('consumer');
  try {
    await createConsumerTables(db.ds);
    progress(`consumer: producing ${count.toLocaleString('en-US')} order.placed.v1 events`);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < count; i += 1000) {
      const messages = Array.from({ length: Math.min(1000, count - i) }, () => {
        const event = orderPlacedEvent();
        return { key: event.aggregateId, value: JSON.stringify(event), headers: { id: event.id, type: event.type } };
      });
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();
    progress('consumer: without inbox');
    const plain = await withoutInbox(db.ds, topic, count);
    progress(`consumer without inbox: ${Math.round(plain)} msg/s`);
    await db.ds.query('TRUNCATE effects');
    progress('consumer: with inbox');
    const inbox = await withInbox(db.ds, topic, count, 'with inbox');
    progress(`consumer with inbox: ${Math.round(inbox)} msg/s`);
    await db.ds.query('TRUNCATE effects');
    progress('consumer: with inbox, a transaction per message');
    // Its own consumer name: its own group and dedup scope, so it reads and handles every message again.
    const single = await withInbox(db.ds, topic, count, 'per message', {
      consumer: 'bench-inbox-per-message',
      transactionBatchSize: 1,
    });
    progress(`consumer with inbox, per message: ${Math.round(single)} msg/s`);
    return [
      row('5. consumer with inbox dedup (baseline: without)', inbox, plain, 'msg/s', '≥ 0.90×', atLeastRatio(0.9)),
      row(
        '5. consumer with batched inbox (baseline: a transaction per message)',
        inbox,
        single,
        'msg/s',
        '≥ 2×',
        atLeastRatio(2),
      ),
    ];
  } finally {
    await db.drop();
    await deleteTopics([topic]);
  }
}
