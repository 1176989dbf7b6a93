import { Controller, INestMicroservice, Module, UseFilters } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Kafka, KafkaMessage, logLevel, Producer } from 'kafkajs';
import { createTestDatabase, kafkaBrokers, waitFor } from '@shop/infra';
import {
  CreateInboxTable1764000000001,
  InboxContext,
  InboxEnvelope,
  InboxExceptionFilter,
  KafkaInboxServer,
} from './index';

const TYPE = 'thing.happened.v1';
let failuresToInject = 0;

@Controller()
@UseFilters(InboxExceptionFilter)
class ThingHandler {
  @EventPattern(TYPE)
  async handle(@Payload() data: { n: number }, @Ctx() ctx: InboxContext) {
    if (failuresToInject > 0) {
      failuresToInject -= 1;
      throw new Error('transient failure');
    }
    await ctx.manager.query('INSERT INTO effects (event_id, n) VALUES ($1, $2)', [ctx.envelope.id, data.n]);
  }
}

@Module({ controllers: [ThingHandler] })
class TestModule {}

const envelope = (n: number): InboxEnvelope => ({
  id: randomUUID(),
  type: TYPE,
  aggregateType: 'thing',
  aggregateId: 'thing-1',
  occurredAt: new Date().toISOString(),
  data: { n },
});

describe('KafkaInboxServer (real PostgreSQL and Kafka)', () => {
  const topic = `inbox-it-${randomUUID()}`;
  const kafka = new Kafka({ clientId: 'inbox-it', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let app: INestMicroservice;
  let server: KafkaInboxServer;
  let producer: Producer;

  const effects = async () =>
    (await dataSource.query('SELECT event_id, n FROM effects ORDER BY n')) as { event_id: string; n: number }[];
  const send = (...values: (string | Buffer)[]) =>
    producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'thing-1', value })) });

  beforeAll(async () => {
    db = await createTestDatabase('inbox_it');
    dataSource = new DataSource({ type: 'postgres', ...db.options, migrations: [CreateInboxTable1764000000001] });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.query('CREATE TABLE effects (event_id uuid PRIMARY KEY, n int NOT NULL)');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1 },
        { topic: `${topic}.dlt`, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();

    server = new KafkaInboxServer({
      consumer: `inbox-it-${randomUUID()}`,
      topics: [topic],
      kafka: { clientId: 'inbox-it-consumer', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING },
      dataSource,
      retryBackoffMs: 10,
      validate: (e) => {
        const data = e.data as { n?: unknown };
        if (typeof data?.n !== 'number') throw new Error('data.n must be a number');
        return data;
      },
    });
    app = await NestFactory.createMicroservice(TestModule, { strategy: server, logger: false });
    await app.listen();
  });

  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('applies an event delivered three times exactly once', async () => {
    const e = envelope(1);
    await send(JSON.stringify(e), JSON.stringify(e), JSON.stringify(e));
    await waitFor(
      'three deliveries handled',
      async () => server.stats.processed + server.stats.duplicates >= 3,
      20_000,
    );
    expect(await effects()).toEqual([{ event_id: e.id, n: 1 }]);
    expect(server.stats).toMatchObject({ processed: 1, duplicates: 2 });
  });

  it('retries a failing handler and applies the event once', async () => {
    failuresToInject = 2;
    const e = envelope(2);
    await send(JSON.stringify(e));
    await waitFor('retried event applied', async () => (await effects()).length === 2, 20_000);
    expect(failuresToInject).toBe(0);
    expect((await effects()).map((r) => r.event_id)).toContain(e.id);
  });

  it('dead-letters bad messages with their cause and keeps consuming the partition', async () => {
    const good = envelope(3);
    await send(
      'not json at all',
      JSON.stringify({ ...envelope(0), type: 'thing.unknown.v1' }),
      JSON.stringify({ ...envelope(0), data: { n: 'three' } }),
      JSON.stringify(good),
    );
    await waitFor(
      'good message after bad ones applied',
      async () => (await effects()).some((r) => r.event_id === good.id),
      20_000,
    );

    const dead = await readTopic(kafka, `${topic}.dlt`, 3);
    expect(dead.map((m) => m.headers?.['dlt-error']?.toString())).toEqual([
      'message value is not JSON',
      'no handler for event type "thing.unknown.v1"',
      'invalid thing.happened.v1: data.n must be a number',
    ]);
    expect(dead[0].value?.toString()).toBe('not json at all');
    expect(dead.every((m) => m.headers?.['dlt-original-topic']?.toString() === topic)).toBe(true);
    expect(dead.map((m) => m.headers?.['dlt-original-offset']?.toString())).toEqual(['4', '5', '6']); // after 3 copies and 1 retried event
    expect(server.stats.deadLettered).toBe(3);
  });
});

async function readTopic(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${randomUUID()}` });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  try {
    await waitFor(`${count} messages on ${topic}`, async () => messages.length >= count, 20_000);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}
