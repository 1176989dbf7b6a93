import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { createTestDatabase, kafkaBrokers } from '@shop/infra';
import { CreateOutboxTable1764000000000, Outbox, OutboxEvent, OutboxRelay, OutboxTransactionError } from './index';

const event = (aggregateId: string, n = 1): OutboxEvent => ({
  id: randomUUID(),
  type: 'thing.happened.v1',
  aggregateType: 'thing',
  aggregateId,
  occurredAt: new Date().toISOString(),
  correlationId: `corr-${n}`,
  data: { n },
});

describe('outbox (real PostgreSQL and Kafka)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const kafka = new Kafka({ clientId: 'outbox-it', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const outbox = new Outbox();
  const topic = `outbox-it-${randomUUID()}`;

  const pending = async () =>
    Number((await dataSource.query('SELECT count(*) FROM outbox WHERE published_at IS NULL'))[0].count);
  const total = async () => Number((await dataSource.query('SELECT count(*) FROM outbox'))[0].count);

  beforeAll(async () => {
    db = await createTestDatabase('outbox_it');
    dataSource = new DataSource({ type: 'postgres', ...db.options, migrations: [CreateOutboxTable1764000000000] });
    await dataSource.initialize();
    await dataSource.runMigrations();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('refuses to add outside a transaction and writes nothing', async () => {
    await expect(outbox.add(event('a'), dataSource.manager)).rejects.toBeInstanceOf(OutboxTransactionError);
    expect(await total()).toBe(0);
  });

  it('writes nothing when the business transaction rolls back', async () => {
    await expect(
      dataSource.transaction(async (manager) => {
        await outbox.add([event('b'), event('b', 2)], manager);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await total()).toBe(0);
  });

  it('publishes committed rows with key, headers and envelope, then marks them published', async () => {
    const aggregateId = randomUUID();
    const events = [event(aggregateId, 1), event(aggregateId, 2), event(aggregateId, 3)];
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await dataSource.transaction((manager) => outbox.add(events, manager, { headers: { traceparent } }));
    expect(await pending()).toBe(3);

    const relay = new OutboxRelay(dataSource, kafka, { topicFor: () => topic });
    try {
      expect(await relay.relayBatch()).toBe(3);
    } finally {
      await relay.stop();
    }
    expect(await pending()).toBe(0);

    const received = await consume(kafka, topic, 3);
    expect(received.map((m) => m.key?.toString())).toEqual([aggregateId, aggregateId, aggregateId]);
    expect(received.map((m) => m.headers?.id?.toString())).toEqual(events.map((e) => e.id));
    expect(received.map((m) => m.headers?.type?.toString())).toEqual(events.map((e) => e.type));
    expect(received.map((m) => m.headers?.correlationId?.toString())).toEqual(['corr-1', 'corr-2', 'corr-3']);
    expect(received.map((m) => m.headers?.traceparent?.toString())).toEqual([traceparent, traceparent, traceparent]);
    expect(received.map((m) => m.headers?.occurredAt?.toString())).toEqual(events.map((e) => e.occurredAt));
    expect(received.map((m) => JSON.parse(String(m.value)))).toEqual(events);
  });

  it('leaves rows unpublished when the broker cannot be reached, and publishes them later', async () => {
    await dataSource.transaction((manager) => outbox.add(event(randomUUID()), manager));
    const unreachable = new Kafka({
      clientId: 'outbox-it-down',
      brokers: ['127.0.0.1:1'],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 500,
    });
    const broken = new OutboxRelay(dataSource, unreachable, { topicFor: () => topic });
    await expect(broken.relayBatch()).rejects.toThrow();
    await broken.stop().catch(() => undefined);
    expect(await pending()).toBe(1);

    const relay = new OutboxRelay(dataSource, kafka, { topicFor: () => topic });
    try {
      expect(await relay.relayBatch()).toBe(1);
    } finally {
      await relay.stop();
    }
    expect(await pending()).toBe(0);
  });
});

async function consume(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer: Consumer = kafka.consumer({ groupId: `${topic}-reader` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${messages.length}/${count} messages within 20s`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          messages.push(message);
          if (messages.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
