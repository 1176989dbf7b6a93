import { Message } from 'kafkajs';
import { OutboxPublisher, OutboxRelay, PendingRow } from '@transactional-outbox/outbox';
import { KafkaJsPublisher, outboxProducerConfig } from '@transactional-outbox/outbox/kafkajs';
import {
  ConfluentKafka,
  ConfluentKafkaPublisher,
  ConfluentMessage,
  confluentProducerConfig,
} from '@transactional-outbox/outbox/confluent';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { BenchDatabase, benchDatabase, createTopic, deleteTopics, kafka } from '../fixtures';
import { sleep } from '../stats';
import { addCpu, cpuSince, CpuSample, cpuTotal, describeCpu, sampleCpu, zeroCpu } from '../cpu';

const AGGREGATES = 1000;

/**
 * Fills the outbox with `count` events whose message value is exactly `bytes` long, in
 * one statement: the backlog is there before the clock starts.
 */
export async function fillBacklog(
  ds: { query(sql: string, params?: unknown[]): Promise<unknown> },
  count: number,
  bytes: number,
) {
  const envelope = (pad: string) => `
    jsonb_build_object('id', id, 'type', 'bench.happened.v1', 'aggregateType', 'bench', 'aggregateId', agg,
      'occurredAt', '2026-01-01T00:00:00.000Z', 'data', jsonb_build_object('n', lpad(i::text, 8, '0'), 'pad', ${pad}))`;
  const rows = `(SELECT gen_random_uuid() AS id, 'agg-' || lpad((i % ${AGGREGATES})::text, 4, '0') AS agg, i
                   FROM generate_series(1, $1::int) i) s`;
  const [{ len }] = (await ds.query(`SELECT length((${envelope("''")})::text) AS len FROM ${rows}`, [1])) as {
    len: number;
  }[];
  await ds.query(
    `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, headers)
     SELECT id, 'bench', agg, 'bench.happened.v1', ${envelope("repeat('x', $2::int)")},
            '{"occurredAt": "2026-01-01T00:00:00.000Z"}'::jsonb
       FROM ${rows}`,
    [count, bytes - len],
  );
}

/** The messages the relay sends for these rows (the kafkajs publisher's `send`). */
function messagesOf(rows: PendingRow[]): Message[] {
  return rows.map((r) => ({
    key: r.aggregateid,
    value: r.payload,
    headers: { ...r.headers, id: r.id, type: r.type, aggregateType: r.aggregatetype, aggregateId: r.aggregateid },
  }));
}

/** One broker's side of the drain: where the relay publishes, and the baseline that does without it. */
export interface DrainBroker {
  /** Appended to the rows' names ('' for Kafka, whose rows keep their names). */
  label: string;
  /** The baseline client, e.g. 'kafkajs'. */
  client: string;
  /** How the baseline sends, e.g. 'kafkajs sendBatch'. */
  baseline: string;
  /** A new destination (a topic, an exchange with a bound queue) and how to remove it. */
  destination(prefix: string): Promise<{ name: string; remove(): Promise<void> }>;
  publisher(): OutboxPublisher;
  /**
   * Builds the rows' messages as the relay would, before any clock starts; the returned
   * send takes seconds from connecting to the last ack.
   */
  rawSender(rows: PendingRow[]): (destination: string, batchSize: number) => Promise<number>;
  /**
   * A client that never waits for a whole batch (the relay must, to mark its rows): a context
   * row, the price of batch-at-a-time on this broker.
   */
  streaming?: { baseline: string; sender: DrainBroker['rawSender'] };
}

export const kafkaDrain: DrainBroker = {
  label: '',
  client: 'kafkajs',
  baseline: 'kafkajs sendBatch',
  async destination(prefix) {
    const topic = await createTopic(prefix);
    return { name: topic, remove: () => deleteTopics([topic]) };
  },
  publisher: () => new KafkaJsPublisher(kafka),
  rawSender(rows) {
    const messages = messagesOf(rows);
    return async (topic, batchSize) => {
      const producer = kafka.producer(outboxProducerConfig);
      const t0 = performance.now();
      await producer.connect();
      for (let i = 0; i < messages.length; i += batchSize) {
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: messages.slice(i, i + batchSize) }] });
      }
      const seconds = (performance.now() - t0) / 1000;
      await producer.disconnect();
      return seconds;
    };
  },
};

/**
 * The same on librdkafka through `@confluentinc/kafka-javascript`, against its own producer
 * sending the same messages a batch at a time (all produced, then every delivery awaited).
 */
export const confluentDrain = (client: ConfluentKafka): DrainBroker => ({
  label: ' via @confluentinc/kafka-javascript',
  client: '@confluentinc/kafka-javascript',
  baseline: '@confluentinc/kafka-javascript send',
  destination: kafkaDrain.destination,
  publisher: () => new ConfluentKafkaPublisher(client),
  rawSender(rows) {
    const messages = messagesOf(rows) as ConfluentMessage[];
    return async (topic, batchSize) => {
      const producer = client.producer(confluentProducerConfig);
      const t0 = performance.now();
      await producer.connect();
      for (let i = 0; i < messages.length; i += batchSize) {
        await producer.send({ topic, messages: messages.slice(i, i + batchSize) });
      }
      const seconds = (performance.now() - t0) / 1000;
      await producer.disconnect();
      return seconds;
    };
  },
});

async function relaySend(
  db: BenchDatabase,
  publisher: OutboxPublisher,
  destination: string,
  count: number,
  batchSize: number,
): Promise<number> {
  let published = 0;
  let lastReport = performance.now();
  const relay = new OutboxRelay(db.ds, publisher, {
    name: 'bench-drain',
    topicFor: () => destination,
    batchSize,
    notifyChannel: '',
    hooks: {
      afterPublish: (batch) => {
        published += batch.length;
        if (performance.now() - lastReport > 5000) {
          lastReport = performance.now();
          progress(`relay drain: ${published.toLocaleString('en-US')}/${count.toLocaleString('en-US')}`);
        }
      },
    },
  });
  const t0 = performance.now();
  await relay.start();
  while (published < count) await sleep(2);
  // The clock stops when the last batch is marked published, as the relay's work ends there.
  while ((await db.ds.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).length > 0) await sleep(2);
  const seconds = (performance.now() - t0) / 1000;
  await relay.stop();
  return seconds;
}

/** Runs `fn` with a new destination of `broker` and the CPU it used meanwhile added to `sum`. */
async function timed(
  broker: DrainBroker,
  prefix: string,
  sum: CpuSample,
  fn: (destination: string) => Promise<number>,
) {
  const destination = await broker.destination(prefix);
  try {
    const cpu = sampleCpu();
    const seconds = await fn(destination.name);
    addCpu(sum, cpuSince(cpu));
    return seconds;
  } finally {
    await destination.remove();
  }
}

/** Seconds and CPU that draining `total` messages took, the relay's and the baselines' summed over rounds. */
export interface DrainMeasurement {
  total: number;
  relaySeconds: number;
  rawSeconds: number;
  streamingSeconds: number;
  relayCpu: CpuSample;
  rawCpu: CpuSample;
}

/**
 * The relay draining a backlog of `count` vs the broker's client sending the same messages,
 * with the relay's producer settings and batch size. Alternating rounds, so load from
 * elsewhere on the machine falls on both sides alike.
 */
export async function measureDrain(
  broker: DrainBroker,
  count: number,
  bytes = 500,
  rounds = 2,
): Promise<DrainMeasurement> {
  const db = await benchDatabase('bench_drain');
  const batchSize = 500;
  const name = `relay drain${broker.label}`;
  let rawSeconds = 0;
  let relaySeconds = 0;
  let streamingSeconds = 0;
  const rawCpu = zeroCpu();
  const relayCpu = zeroCpu();
  try {
    for (let round = 1; round <= rounds; round++) {
      progress(`${name} ${round}/${rounds}: a backlog of ${count.toLocaleString('en-US')} events of ${bytes} bytes`);
      await db.ds.query('TRUNCATE outbox');
      await fillBacklog(db.ds, count, bytes);
      await db.ds.query('VACUUM ANALYZE outbox');
      // The baselines' messages go out of scope before the relay runs, so they do not weigh on it.
      const raw = await (async () => {
        const rows: PendingRow[] = await db.ds.query(
          `SELECT id, seq, aggregatetype, aggregateid, type, payload::text AS payload, headers FROM outbox ORDER BY seq`,
        );
        if (rows.some((r) => Buffer.byteLength(r.payload) !== bytes)) throw new Error('message size is off');
        const send = broker.rawSender(rows);
        const seconds = await timed(broker, 'drain-raw', rawCpu, (destination) => send(destination, batchSize));
        const stream = broker.streaming?.sender(rows);
        if (stream) streamingSeconds += await timed(broker, 'drain-stream', zeroCpu(), (d) => stream(d, batchSize));
        return seconds;
      })();
      const relay = await timed(broker, 'drain-relay', relayCpu, (destination) =>
        relaySend(db, broker.publisher(), destination, count, batchSize),
      );
      progress(
        `${name} ${round}/${rounds}: ${broker.client} ${Math.round(count / raw)} msg/s, relay ${Math.round(count / relay)} msg/s`,
      );
      rawSeconds += raw;
      relaySeconds += relay;
    }
    const total = count * rounds;
    progress(`${name}, ${broker.client} ${describeCpu(rawCpu, total / 1000, '1k messages')}`);
    progress(`${name}, relay ${describeCpu(relayCpu, total / 1000, '1k messages')}`);
    return { total, relaySeconds, rawSeconds, streamingSeconds, relayCpu, rawCpu };
  } finally {
    await db.drop();
  }
}

/** Metric 1: two rounds of `measureDrain`. */
export async function relayDrain(broker: DrainBroker, count: number): Promise<ResultRow[]> {
  const { total, relaySeconds, rawSeconds, streamingSeconds, relayCpu, rawCpu } = await measureDrain(broker, count);
  return [
    row(
      `1. CPU per 1k messages${broker.label}, all processes (baseline: ${broker.client})`,
      (cpuTotal(relayCpu) / total) * 1e6,
      (cpuTotal(rawCpu) / total) * 1e6,
      'ms',
      'context',
      undefined,
    ),
    row(
      `1. relay drain throughput${broker.label} (baseline: ${broker.baseline})`,
      total / relaySeconds,
      total / rawSeconds,
      'msg/s',
      '≥ 0.75×',
      atLeastRatio(0.75),
    ),
    ...(broker.streaming
      ? [
          row(
            `1. relay drain throughput${broker.label} (baseline: ${broker.streaming.baseline})`,
            total / relaySeconds,
            total / streamingSeconds,
            'msg/s',
            'context',
            undefined,
          ),
        ]
      : []),
  ];
}
