import { Message } from 'kafkajs';
import { OutboxRelay, PendingRow } from '@transactional-outbox/outbox';
import { KafkaJsPublisher, outboxProducerConfig } from '@transactional-outbox/outbox/kafkajs';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { BenchDatabase, benchDatabase, createTopic, deleteTopics, kafka } from '../fixtures';
import { sleep } from '../stats';
import { cpuSince, CpuSample, cpuTotal, describeCpu, sampleCpu } from '../cpu';

const AGGREGATES = 1000;

/**
 * Fills the outbox with `count` events whose message value is exactly `bytes` long, in
 * one statement: the backlog is there before the clock starts.
 */
async function fillBacklog(
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

async function rawSend(messages: Message[], batchSize: number): Promise<number> {
  const topic = await createTopic('drain-raw');
  try {
    const producer = kafka.producer(outboxProducerConfig);
    const t0 = performance.now();
    await producer.connect();
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: messages.slice(i, i + batchSize) }] });
    }
    const seconds = (performance.now() - t0) / 1000;
    await producer.disconnect();
    return seconds;
  } finally {
    await deleteTopics([topic]);
  }
}

async function relaySend(db: BenchDatabase, count: number, batchSize: number): Promise<number> {
  const topic = await createTopic('drain-relay');
  try {
    let published = 0;
    let lastReport = performance.now();
    const relay = new OutboxRelay(db.ds, new KafkaJsPublisher(kafka), {
      name: 'bench-drain',
      topicFor: () => topic,
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
  } finally {
    await deleteTopics([topic]);
  }
}

/**
 * Metric 1: the relay draining a backlog vs kafkajs sendBatch of the same messages, with
 * the relay's producer settings and batch size. Two alternating rounds, so load from
 * elsewhere on the machine falls on both sides alike.
 */
export async function relayDrain(count: number, bytes = 500, rounds = 2): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_drain');
  const batchSize = 500;
  let rawSeconds = 0;
  let relaySeconds = 0;
  const rawCpu: CpuSample = { bench: 0, postgres: 0, kafka: 0 };
  const relayCpu: CpuSample = { bench: 0, postgres: 0, kafka: 0 };
  const add = (sum: CpuSample, s: CpuSample) => {
    sum.bench += s.bench;
    sum.postgres += s.postgres;
    sum.kafka += s.kafka;
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      progress(
        `relay drain ${round}/${rounds}: a backlog of ${count.toLocaleString('en-US')} events of ${bytes} bytes`,
      );
      await db.ds.query('TRUNCATE outbox');
      await fillBacklog(db.ds, count, bytes);
      await db.ds.query('VACUUM ANALYZE outbox');
      const rows: PendingRow[] = await db.ds.query(
        `SELECT id, seq, aggregatetype, aggregateid, type, payload::text AS payload, headers FROM outbox ORDER BY seq`,
      );
      const messages = messagesOf(rows);
      if (messages.some((m) => Buffer.byteLength(String(m.value)) !== bytes)) throw new Error('message size is off');
      let cpu = sampleCpu();
      const raw = await rawSend(messages, batchSize);
      add(rawCpu, cpuSince(cpu));
      cpu = sampleCpu();
      const relay = await relaySend(db, count, batchSize);
      add(relayCpu, cpuSince(cpu));
      progress(
        `relay drain ${round}/${rounds}: kafkajs ${Math.round(count / raw)} msg/s, relay ${Math.round(count / relay)} msg/s`,
      );
      rawSeconds += raw;
      relaySeconds += relay;
    }
    const total = count * rounds;
    progress(`relay drain, kafkajs ${describeCpu(rawCpu, total / 1000, '1k messages')}`);
    progress(`relay drain, relay ${describeCpu(relayCpu, total / 1000, '1k messages')}`);
    return [
      row(
        '1. CPU per 1k messages, all processes (baseline: kafkajs)',
        (cpuTotal(relayCpu) / total) * 1e6,
        (cpuTotal(rawCpu) / total) * 1e6,
        'ms',
        'context',
        undefined,
      ),
      row(
        '1. relay drain throughput (baseline: kafkajs sendBatch)',
        total / relaySeconds,
        total / rawSeconds,
        'msg/s',
        '≥ 0.75×',
        atLeastRatio(0.75),
      ),
    ];
  } finally {
    await db.drop();
  }
}
