import { Outbox, OutboxPublisher, OutboxRelay } from '@transactional-outbox/outbox';
import { KafkaJsPublisher, outboxProducerConfig } from '@transactional-outbox/outbox/kafkajs';
import {
  ConfluentKafka,
  ConfluentKafkaPublisher,
  confluentProducerConfig,
} from '@transactional-outbox/outbox/confluent';
import { atMost, progress, ResultRow, row } from '../report';
import { BenchDatabase, benchDatabase, createTopic, deleteTopics, kafka } from '../fixtures';
import { atRate, countUntil, latencies, percentile, sleep } from '../stats';
import { placeOrderTransaction } from './place-order';

/** A producer of either client, as brokerAck drives it. */
interface AckProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(message: { key: string; value: string }): Promise<unknown>;
}

/**
 * What the broker alone takes: one message at a time, sent and acknowledged (acks=all)
 * with the relay's producer settings. No relay can publish faster than this.
 */
async function brokerAck(client: string, producer: AckProducer, count: number): Promise<Latency> {
  await producer.connect();
  const samples: number[] = [];
  try {
    for (let i = 0; i < count + 10; i++) {
      const t = performance.now();
      await producer.send({ key: `ack-${i}`, value: 'x'.repeat(500) });
      if (i >= 10) samples.push(performance.now() - t); // the first sends connect and warm up
    }
  } finally {
    await producer.disconnect();
  }
  const result = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  progress(`${client} send→ack alone: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`);
  return result;
}

export interface Latency {
  p50: number;
  p99: number;
}

/** A latency at an offered rate, with how well the writers and the relay kept up with it. */
export interface LatencyAtRate extends Latency {
  /** Transactions committed per second within the window. */
  achieved: number;
  /** Events committed and not yet acknowledged when the last transaction committed. */
  backlog: number;
}

export interface CommitToPublishResult extends Latency {
  rows: ResultRow[];
}

/**
 * From the commit of a place-order transaction to the broker's ack of its event, at `rate`
 * transactions per second, the relay publishing to `destination` through `publisher`. Woken:
 * as order-service runs it, the relay in the writers' process, woken after each commit.
 * Otherwise polling only: the relay on its own pool, which sees no commits, and no NOTIFY.
 */
export async function measureCommitToPublish(
  db: BenchDatabase,
  publisher: OutboxPublisher,
  destination: string,
  options: { label: string; wake: boolean; rate: number; durationMs: number },
): Promise<LatencyAtRate> {
  const { label, wake, rate, durationMs } = options;
  const committedAt = new Map<string, number>();
  const ackedAt = new Map<string, number>();
  const relayDs = wake ? db.ds : await db.connect();
  const relay = new OutboxRelay(relayDs, publisher, {
    name: `bench-latency-${label}`,
    topicFor: () => destination,
    notifyChannel: wake ? 'outbox' : '',
    hooks: {
      afterPublish: (rows) => {
        const now = performance.now();
        for (const r of rows) ackedAt.set(r.id, now);
      },
    },
  });
  const outbox = wake ? new Outbox({ localRelay: relay }) : new Outbox({ notifyChannel: '' });
  await relay.start();
  while (!relay.isLeader) await sleep(10);
  // The first publish connects the producer; it is not part of any transaction's latency.
  await placeOrderTransaction(db.ds, outbox);
  while (ackedAt.size === 0) await sleep(10);
  ackedAt.clear();
  progress(`commit→publish ${label}: ${Math.round(rate)} tx/s for ${durationMs / 1000}s`);
  const t0 = performance.now();
  const { errors } = await atRate(rate, durationMs, async () => {
    const id = await placeOrderTransaction(db.ds, outbox);
    committedAt.set(id, performance.now());
  });
  if (errors.length > 0) throw errors[0];
  const achieved = countUntil(committedAt, t0 + durationMs) / (durationMs / 1000);
  const backlog = committedAt.size - ackedAt.size;
  const deadline = Date.now() + 15_000;
  while (ackedAt.size < committedAt.size && Date.now() < deadline) await sleep(20);
  await relay.stop();
  const samples = latencies(committedAt, ackedAt);
  if (samples.length < committedAt.size) throw new Error(`${committedAt.size - samples.length} events not published`);
  const result = { p50: percentile(samples, 50), p99: percentile(samples, 99), achieved, backlog };
  progress(`commit→publish ${label}: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms`);
  return result;
}

/** Metric 3 on Kafka: woken on commit, with polling only as the baseline. */
export async function commitToPublish(rate: number, durationMs: number): Promise<CommitToPublishResult> {
  const db = await benchDatabase('bench_latency', 'orders');
  const topic = await createTopic('latency');
  try {
    const measure = (label: string, wake: boolean) =>
      measureCommitToPublish(db, new KafkaJsPublisher(kafka), topic, { label, wake, rate, durationMs });
    const woken = await measure('woken on commit', true);
    const polling = await measure('polling only', false);
    const producer = kafka.producer(outboxProducerConfig);
    const ack = await brokerAck(
      'kafkajs',
      {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        send: (message) => producer.send({ topic, acks: -1, messages: [message] }),
      },
      300,
    );
    return {
      p50: woken.p50,
      p99: woken.p99,
      rows: [
        row('3. commit→publish p50 (baseline: polling only)', woken.p50, polling.p50, 'ms', '≤ 5 ms', atMost(5)),
        row('3. commit→publish p99 (baseline: polling only)', woken.p99, polling.p99, 'ms', '≤ 25 ms', atMost(25)),
        row('3. kafkajs send→ack of one message, p50', ack.p50, null, 'ms', 'context', undefined),
        row('3. kafkajs send→ack of one message, p99', ack.p99, null, 'ms', 'context', undefined),
      ],
    };
  } finally {
    await db.drop();
    await deleteTopics([topic]);
  }
}

/**
 * Metric 3 through `@confluentinc/kafka-javascript` (librdkafka), woken on commit, against
 * its own producer's send→ack of one message with the relay's settings.
 */
export async function confluentCommitToPublish(
  client: ConfluentKafka,
  rate: number,
  durationMs: number,
): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_latency_confluent', 'orders');
  const topic = await createTopic('latency-confluent');
  try {
    const publisher = new ConfluentKafkaPublisher(client);
    const woken = await measureCommitToPublish(db, publisher, topic, {
      label: 'woken on commit, @confluentinc/kafka-javascript',
      wake: true,
      rate,
      durationMs,
    });
    const producer = client.producer(confluentProducerConfig);
    const ack = await brokerAck(
      '@confluentinc/kafka-javascript',
      {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        send: (message) => producer.send({ topic, messages: [{ ...message, headers: {} }] }),
      },
      300,
    );
    const name = (p: string) =>
      `3. commit→publish ${p} via @confluentinc/kafka-javascript (baseline: its send→ack of one message)`;
    return [
      row(name('p50'), woken.p50, ack.p50, 'ms', '≤ 5 ms', atMost(5)),
      row(name('p99'), woken.p99, ack.p99, 'ms', '≤ 25 ms', atMost(25)),
    ];
  } finally {
    await db.drop();
    await deleteTopics([topic]);
  }
}
