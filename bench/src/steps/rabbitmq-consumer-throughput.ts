import { ConsumeMessage } from 'amqplib';
import { DataSource } from 'typeorm';
import { rabbitmqUrl } from '@shop/infra';
import { parseEventData, OrderPlacedV1 } from '@shop/contracts';
import { declareInboxQueue, inboxQueueTopology, RabbitMqInboxBroker } from '@transactional-outbox/inbox/rabbitmq';
import { progress, ResultRow, row } from '../report';
import { benchDatabase, orderPlacedEvent } from '../fixtures';
import { rabbitmqChannel, removeRabbitmq } from '../rabbitmq';
import { createConsumerTables, inboxRate, rateOf, recordEffect, RUN, waitForCount } from './consumer-effect';

const CONSUMERS = ['bench-inbox', 'bench-plain'];

/** The inbox source's default prefetch: unacknowledged messages per queue. */
const PREFETCH = 100;

/** Both consumers' queues, declared as the inbox declares them, then `count` events published and confirmed. */
async function fillQueues(exchange: string, count: number): Promise<void> {
  const { connection, channel } = await rabbitmqChannel();
  try {
    for (const consumer of CONSUMERS) await declareInboxQueue(channel, inboxQueueTopology(exchange, consumer));
    const confirms = await connection.createConfirmChannel();
    for (let i = 0; i < count; i++) {
      const event = orderPlacedEvent();
      const headers = {
        id: event.id,
        type: event.type,
        aggregateType: event.aggregateType,
        aggregateId: event.aggregateId,
      };
      confirms.publish(exchange, event.type, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        mandatory: true,
        messageId: event.id,
        contentType: 'application/json',
        headers,
      });
    }
    await confirms.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/** With the inbox: the library's transport on its RabbitMQ broker, defaults otherwise. */
const withInbox = (ds: DataSource, exchange: string, count: number) =>
  inboxRate(
    ds,
    new RabbitMqInboxBroker({ url: rabbitmqUrl(), exchanges: [exchange], prefetch: PREFETCH }),
    count,
    'with inbox, RabbitMQ',
  );

/**
 * Without: amqplib on the same kind of queue with the same prefetch, handing over what arrived
 * while the previous batch was handled, as the inbox's source does; the same validation and
 * transactions (one per run of up to 100 messages), each run acknowledged up to its last
 * message after its commit; no inbox row.
 */
async function withoutInbox(ds: DataSource, exchange: string, count: number): Promise<number> {
  const times: number[] = [];
  const { connection, channel } = await rabbitmqChannel();
  const buffer: ConsumeMessage[] = [];
  let draining = false;
  let failed: unknown;
  const drain = async () => {
    while (buffer.length > 0) {
      const batch = buffer.splice(0);
      for (let i = 0; i < batch.length; i += RUN) {
        const run = batch.slice(i, i + RUN);
        const events = run.map((m) => parseEventData(JSON.parse(m.content.toString())) as OrderPlacedV1);
        await ds.transaction(async (manager) => {
          for (const event of events) await recordEffect(manager, event);
        });
        const now = performance.now();
        for (let k = 0; k < run.length; k++) times.push(now);
        channel.ack(run[run.length - 1], true);
      }
    }
  };
  try {
    await channel.prefetch(PREFETCH);
    await channel.consume(inboxQueueTopology(exchange, 'bench-plain').queue, (message) => {
      if (!message) return;
      buffer.push(message);
      if (draining) return;
      draining = true;
      drain().then(
        () => (draining = false),
        (err: unknown) => (failed = err),
      );
    });
    await waitForCount(times, count, 'without inbox, RabbitMQ', () => failed);
  } finally {
    await connection.close();
  }
  return rateOf(times);
}

/** Metric 5 on RabbitMQ: consumer throughput with the inbox dedup vs without it, over the same messages. */
export async function rabbitmqConsumerThroughput(count: number): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_consumer');
  const exchange = `bench.consumer.${Date.now()}`;
  const topologies = CONSUMERS.map((c) => inboxQueueTopology(exchange, c));
  try {
    await createConsumerTables(db.ds);
    progress(`consumer, RabbitMQ: publishing ${count.toLocaleString('en-US')} order.placed.v1 events`);
    await fillQueues(exchange, count);
    progress('consumer, RabbitMQ: without inbox');
    const plain = await withoutInbox(db.ds, exchange, count);
    progress(`consumer without inbox, RabbitMQ: ${Math.round(plain)} msg/s`);
    await db.ds.query('TRUNCATE effects');
    progress('consumer, RabbitMQ: with inbox');
    const inbox = await withInbox(db.ds, exchange, count);
    progress(`consumer with inbox, RabbitMQ: ${Math.round(inbox)} msg/s`);
    return [
      row('5. consumer with inbox dedup, RabbitMQ (baseline: without)', inbox, plain, 'msg/s', 'context', undefined),
    ];
  } finally {
    await db.drop();
    const queues = topologies.flatMap((t) => [t.queue, t.deadLetterQueue]);
    await removeRabbitmq([exchange, ...topologies.map((t) => t.deadLetterQueue)], queues);
  }
}
