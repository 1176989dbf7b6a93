import { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  createTestDatabase,
  kafkaBrokers,
  readTopic,
  runTs,
  sleep,
  startBroker,
  stopBroker,
  waitFor,
} from '@shop/infra';
import { CreateInboxTable1764000000001, InboxEnvelope, KafkaInboxOptions, KafkaInboxServer } from './index';
import { EffectsModule, handlerControl, THING_HAPPENED, validateThing } from '../test/effects-handler';

const envelope = (n: number, overrides: Partial<InboxEnvelope> = {}): InboxEnvelope => ({
  id: randomUUID(),
  type: THING_HAPPENED,
  aggregateType: 'thing',
  aggregateId: 'thing-1',
  occurredAt: new Date().toISOString(),
  data: { n },
  ...overrides,
});

describe('KafkaInboxServer (real PostgreSQL and Kafka)', () => {
  const kafka = new Kafka({ clientId: 'inbox-it', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let producer: Producer;
  const apps: INestMicroservice[] = [];

  const effects = async () =>
    (await dataSource.query('SELECT event_id, n FROM effects ORDER BY n')) as { event_id: string; n: number }[];
  const effectsOf = async (id: string) => (await effects()).filter((e) => e.event_id === id);
  const newTopic = async () => {
    const topic = `inbox-it-${randomUUID()}`;
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
    return topic;
  };
  const send = (topic: string, ...values: (string | Buffer)[]) =>
    producer.send({ topic, acks: -1, messages: values.map((value) => ({ key: 'thing-1', value })) });
  const startConsumer = async (topic: string, options: Partial<KafkaInboxOptions> = {}) => {
    const server = new KafkaInboxServer({
      consumer: `inbox-it-${randomUUID()}`,
      topics: [topic],
      kafka: { clientId: 'inbox-it-consumer', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING },
      dataSource,
      retryBackoffMs: 10,
      validate: validateThing,
      ...options,
    });
    const app = await NestFactory.createMicroservice(EffectsModule, { strategy: server, logger: false });
    await app.listen();
    apps.push(app);
    return server;
  };

  beforeAll(async () => {
    db = await createTestDatabase('inbox_it');
    dataSource = new DataSource({ type: 'postgres', ...db.options, migrations: [CreateInboxTable1764000000001] });
    await dataSource.initialize();
    await dataSource.runMigrations();
    await dataSource.query('CREATE TABLE effects (event_id uuid PRIMARY KEY, n int NOT NULL)');
    producer = kafka.producer();
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    Object.assign(handlerControl, { failuresToInject: 0, delayMs: 0, alwaysFailFor: -1 });
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('applies an event delivered three times exactly once', async () => {
    const topic = await newTopic();
    const server = await startConsumer(topic);
    const e = envelope(1);
    await send(topic, JSON.stringify(e), JSON.stringify(e), JSON.stringify(e));
    await waitFor(
      'three deliveries handled',
      async () => server.stats.processed + server.stats.duplicates >= 3,
      30_000,
    );
    expect(await effectsOf(e.id)).toEqual([{ event_id: e.id, n: 1 }]);
    expect(server.stats).toEqual({ processed: 1, duplicates: 2, deadLettered: 0 });
  });

  it('handles a fetched run of messages in one transaction', async () => {
    const topic = await newTopic();
    const events = Array.from({ length: 50 }, (_, i) => envelope(100 + i));
    await send(topic, ...events.map((e) => JSON.stringify(e))); // one batch on the broker
    const transactions = jest.spyOn(dataSource, 'transaction');
    try {
      const server = await startConsumer(topic);
      await waitFor('50 handled', async () => server.stats.processed >= 50, 30_000);
      expect((await effects()).filter((e) => e.n >= 100 && e.n < 150)).toHaveLength(50);
      expect(transactions.mock.calls.length).toBeLessThanOrEqual(5);
    } finally {
      transactions.mockRestore();
    }
  });

  it('handles each message of a run on its own when one of them fails in it', async () => {
    const topic = await newTopic();
    const server = await startConsumer(topic, { maxAttempts: 3 });
    handlerControl.alwaysFailFor = 210;
    const events = Array.from({ length: 20 }, (_, i) => envelope(200 + i));
    await send(topic, ...[...events, events[5]].map((e) => JSON.stringify(e)));
    await waitFor(
      'all 21 handled or dead-lettered',
      async () => server.stats.processed + server.stats.duplicates + server.stats.deadLettered >= 21,
      30_000,
    );
    const applied = (await effects()).filter((e) => e.n >= 200 && e.n < 220).map((e) => e.n);
    expect(applied).toEqual(events.map((_, i) => 200 + i).filter((n) => n !== 210));
    expect(server.stats).toEqual({ processed: 19, duplicates: 1, deadLettered: 1 });
  });

  it('applies an event once when two consumers race on it', async () => {
    const topic = await newTopic();
    handlerControl.delayMs = 300; // both are inside their transactions at the same time
    const consumer = `racer-${randomUUID()}`;
    const [a, b] = await Promise.all([
      startConsumer(topic, { consumer, groupId: `${consumer}-a` }),
      startConsumer(topic, { consumer, groupId: `${consumer}-b` }),
    ]);
    const e = envelope(2);
    await send(topic, JSON.stringify(e));
    await waitFor(
      'both consumers handled it',
      async () => a.stats.processed + a.stats.duplicates + b.stats.processed + b.stats.duplicates >= 2,
      30_000,
    );
    expect(await effectsOf(e.id)).toHaveLength(1);
    expect(a.stats.processed + b.stats.processed).toBe(1);
    expect(a.stats.duplicates + b.stats.duplicates).toBe(1);
  });

  it('retries a failing handler and applies the event once', async () => {
    const topic = await newTopic();
    const server = await startConsumer(topic);
    handlerControl.failuresToInject = 2;
    const e = envelope(3);
    await send(topic, JSON.stringify(e));
    await waitFor('retried event applied', async () => (await effectsOf(e.id)).length === 1, 30_000);
    expect(handlerControl.failuresToInject).toBe(0);
    expect(server.stats).toMatchObject({ processed: 1, deadLettered: 0 });
  });

  it('dead-letters every kind of bad message with its key, headers and cause, keeps consuming, counts it', async () => {
    const topic = await newTopic();
    const registry = new Registry();
    const server = await startConsumer(topic, { maxAttempts: 3, metricsRegistry: registry });
    handlerControl.alwaysFailFor = 13;
    const good = envelope(4);
    const bad: [string, string | Buffer, RegExp][] = [
      ['bytes that are not JSON', Buffer.from([0xde, 0xad, 0xbe, 0xef]), /^message value is not JSON$/],
      ['malformed JSON', '{"id": "x", "type": ', /^message value is not JSON$/],
      [
        'a 900 KB message',
        JSON.stringify(envelope(5, { data: { n: 5, blob: 'x'.repeat(900 * 1024) } })),
        /exceeds 524288$/,
      ],
      [
        'an unknown type',
        JSON.stringify(envelope(6, { type: 'thing.vanished.v1' })),
        /^no handler for event type "thing.vanished.v1"$/,
      ],
      [
        'a wrong version',
        JSON.stringify(envelope(7, { type: 'thing.happened.v2' })),
        /^no handler for event type "thing.happened.v2"$/,
      ],
      [
        '__proto__ keys',
        JSON.stringify(envelope(8)).replace('"data":{', '"data":{"__proto__":{"polluted":true},'),
        /forbidden key "__proto__"/,
      ],
      [
        'missing fields',
        JSON.stringify(envelope(9, { data: {} })),
        /^invalid thing.happened.v1: data.n must be a number$/,
      ],
      ['retries exhausted', JSON.stringify(envelope(13)), /^handler refuses n=13$/],
    ];
    await producer.send({
      topic,
      acks: -1,
      messages: [...bad.map(([, value]) => value), JSON.stringify(good)].map((value, i) => ({
        key: `thing-${i}`,
        value,
        headers: { 'x-origin': 'inbox-it', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
      })),
    });
    await waitFor('the good message after the bad ones', async () => (await effectsOf(good.id)).length === 1, 30_000);

    const reader = await readTopic(`${topic}.dlt`);
    try {
      const dead = await reader.waitFor(bad.length);
      dead.forEach((m, i) => {
        const [name, value, cause] = bad[i];
        expect([name, m.headers?.['dlt-error']?.toString()]).toEqual([name, expect.stringMatching(cause)]);
        expect(m.value?.equals(Buffer.from(value))).toBe(true);
        expect([name, m.key?.toString(), m.headers?.['x-origin']?.toString()]).toEqual([
          name,
          `thing-${i}`,
          'inbox-it',
        ]);
        expect(m.headers?.['dlt-consumer']?.toString()).toMatch(/^inbox-it-/);
        expect(m.headers?.['dlt-original-topic']?.toString()).toBe(topic);
        expect(m.headers?.['dlt-original-partition']?.toString()).toBe('0');
        expect(m.headers?.['dlt-original-offset']?.toString()).toBe(String(i));
      });
      expect(dead[bad.length - 1].headers?.['dlt-attempts']?.toString()).toBe('3');
      expect(dead[0].headers?.['dlt-attempts']?.toString()).toBe('1');
    } finally {
      await reader.stop();
    }
    expect(server.stats).toMatchObject({ processed: 1, deadLettered: bad.length });
    const metrics = await registry.metrics();
    const sample = (name: string) =>
      Number(new RegExp(`^${name}\\{[^}]*topic="${topic}"[^}]*\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect({
      handled: sample('inbox_handled_total'),
      deadLettered: sample('inbox_dead_lettered_total'),
      retries: sample('inbox_retries_total'),
      handlerCalls: sample('inbox_handler_duration_seconds_count'),
    }).toEqual({ handled: 1, deadLettered: bad.length, retries: 2, handlerCalls: 1 });
  });

  it('redelivers after a crash between the database commit and the offset commit, with one effect', async () => {
    const topic = await newTopic();
    const group = `crash-${randomUUID()}`;
    const e = envelope(20);
    await send(topic, JSON.stringify(e));
    const signal = await runTs('libs/inbox/test/consumer-process.ts', {
      PG_URL: `postgres://${db.options.username}:${db.options.password}@${db.options.host}:${db.options.port}/${db.name}`,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      GROUP: group,
      FAILPOINT: 'after-commit',
    });
    expect(signal).toBe('SIGKILL');
    expect(await effectsOf(e.id)).toHaveLength(1); // the effect committed before the crash

    const server = await startConsumer(topic, { consumer: group });
    await waitFor('redelivery seen', async () => server.stats.duplicates === 1, 60_000);
    expect(server.stats.processed).toBe(0);
    expect(await effectsOf(e.id)).toHaveLength(1);
  });

  it('keeps its partition through a handler slower than the session timeout', async () => {
    const topic = await newTopic();
    handlerControl.delayMs = 9000;
    const server = await startConsumer(topic, { sessionTimeoutMs: 6000 });
    await waitFor('consumer running', async () => server.unwrap() !== undefined, 30_000);
    const consumer = server.unwrap<import('kafkajs').Consumer>();
    let joins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => (joins += 1));
    const e = envelope(30);
    await send(topic, JSON.stringify(e));
    await waitFor('slow event applied', async () => (await effectsOf(e.id)).length === 1, 30_000);
    handlerControl.delayMs = 0;
    const next = envelope(31);
    await send(topic, JSON.stringify(next));
    await waitFor('next event applied', async () => (await effectsOf(next.id)).length === 1, 30_000);
    expect(joins).toBe(0); // no rebalance since the consumer joined
    expect(server.stats).toMatchObject({ processed: 2, duplicates: 0 });
  }, 60_000);

  it('reports the broker missing at start-up and recovers when it comes, without a restart', async () => {
    const topic = await newTopic();
    await stopBroker();
    let server: KafkaInboxServer | undefined;
    try {
      server = await startConsumer(topic, { brokerDownAfterMs: 1000 });
      await sleep(1500);
      expect(await server.health()).toMatchObject({ up: false, reason: 'broker unreachable' });
    } finally {
      await startBroker();
    }
    const e = envelope(40);
    await send(topic, JSON.stringify(e));
    await waitFor('event applied after the broker came', async () => (await effectsOf(e.id)).length === 1, 90_000);
    expect(await server.health()).toMatchObject({ up: true, lag: 0 });
  }, 150_000);

  it('deletes inbox rows past the retention horizon, and only those of its own consumer', async () => {
    const server = new KafkaInboxServer({
      consumer: 'keeper',
      topics: [],
      kafka: { brokers: kafkaBrokers() },
      dataSource,
      retentionDays: 14,
    });
    const insert = (consumer: string, daysAgo: number) =>
      dataSource.query(
        `INSERT INTO inbox (consumer, event_id, type, received_at) VALUES ($1, $2, 't.v1', now() - make_interval(days => $3))`,
        [consumer, randomUUID(), daysAgo],
      );
    await insert('keeper', 15);
    await insert('keeper', 13);
    await insert('someone-else', 30);
    expect(await server.applyRetention()).toBe(1);
    const left = await dataSource.query(
      `SELECT consumer FROM inbox WHERE consumer IN ('keeper', 'someone-else') ORDER BY consumer`,
    );
    expect(left.map((r: { consumer: string }) => r.consumer)).toEqual(['keeper', 'someone-else']);
  });
});
