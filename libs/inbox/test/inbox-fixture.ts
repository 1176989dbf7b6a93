import { INestMicroservice } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { createTestDatabase, kafkaBrokers, kafkaClient, runTs } from '@shop/infra';
import { CreateInboxTable1764000000001, deadLetterTopicFor, InboxEnvelope } from '../src';
import { KafkaInboxBroker, KafkaInboxSourceOptions } from '../src/kafkajs';
import { createInboxMicroservice, InboxServer, InboxServerOptions } from '../src/nest';
import { EffectsModule, resetHandlerControl, THING_HAPPENED, validateThing } from './effects-handler';

export const envelope = (n: number, overrides: Partial<InboxEnvelope> = {}): InboxEnvelope => ({
  id: randomUUID(),
  type: THING_HAPPENED,
  aggregateType: 'thing',
  aggregateId: 'thing-1',
  occurredAt: new Date().toISOString(),
  data: { n },
  ...overrides,
});

export type ConsumerOptions = Partial<InboxServerOptions> & { source?: Partial<KafkaInboxSourceOptions> };

/**
 * A test database with the inbox and an `effects` table, a producer, and inbox consumers
 * on the real Kafka, stopped after each test. Call in a describe block.
 */
export function inboxFixture(prefix: string) {
  const kafka = new Kafka({ clientId: prefix, ...kafkaClient(), logLevel: logLevel.NOTHING });
  const apps: INestMicroservice[] = [];
  const f = {
    kafka,
    db: undefined as unknown as Awaited<ReturnType<typeof createTestDatabase>>,
    dataSource: undefined as unknown as DataSource,
    producer: undefined as unknown as Producer,
    effects: async () =>
      (await f.dataSource.query('SELECT event_id, n FROM effects ORDER BY n')) as { event_id: string; n: number }[],
    effectsOf: async (id: string) => (await f.effects()).filter((e) => e.event_id === id),
    /** A topic of one partition and its dead-letter topic. */
    newTopic: async () => {
      const topic = `${prefix}-${randomUUID()}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [topic, deadLetterTopicFor(topic)].map((t) => ({ topic: t, numPartitions: 1 })),
        waitForLeaders: true,
      });
      await admin.disconnect();
      return topic;
    },
    send: (topic: string, ...values: (string | Buffer)[]) =>
      f.producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'thing-1', value })) }),
    server: (topic: string, { source, ...options }: ConsumerOptions = {}) =>
      new InboxServer({
        consumer: `${prefix}-${randomUUID()}`,
        broker: new KafkaInboxBroker({
          kafka: { clientId: `${prefix}-consumer`, ...kafkaClient(), logLevel: logLevel.NOTHING },
          topics: [topic],
          ...source,
        }),
        dataSource: f.dataSource,
        retryBackoffMs: 10,
        validate: validateThing,
        ...options,
      }),
    /** Runs a server as the README says, stopped after the test. */
    run: async (server: InboxServer) => {
      const app = await createInboxMicroservice(EffectsModule, server, { logger: false });
      await app.listen();
      apps.push(app);
      return server;
    },
    startConsumer: (topic: string, options: ConsumerOptions = {}) => f.run(f.server(topic, options)),
    /** Consumes as `group` in a process of its own that kills itself after its first commit; its signal. */
    crashAfterFirstCommit: (topic: string, group: string) => {
      const { username, password, host, port } = f.db.options;
      return runTs('libs/inbox/test/consumer-process.ts', {
        PG_URL: `postgres://${username}:${password}@${host}:${port}/${f.db.name}`,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        TOPIC: topic,
        GROUP: group,
        FAILPOINT: 'after-commit',
      });
    },
    stopConsumers: () => Promise.all(apps.splice(0).map((a) => a.close())),
  };

  beforeAll(async () => {
    f.db = await createTestDatabase(prefix.replace(/-/g, '_'));
    f.dataSource = new DataSource({ type: 'postgres', ...f.db.options, migrations: [CreateInboxTable1764000000001] });
    await f.dataSource.initialize();
    await f.dataSource.runMigrations();
    await f.dataSource.query('CREATE TABLE effects (event_id uuid PRIMARY KEY, n int NOT NULL)');
    f.producer = kafka.producer();
    await f.producer.connect();
  });

  afterEach(async () => {
    await f.stopConsumers();
    resetHandlerControl();
  });

  afterAll(async () => {
    await f.producer?.disconnect();
    await f.dataSource?.destroy();
    await f.db?.drop();
  });

  return f;
}
