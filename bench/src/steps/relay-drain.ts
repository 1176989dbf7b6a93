import { Message } from 'kafkajs';
import { OutboxRelay, PendingRow } from '@shop/outbox';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { benchDatabase, createTopic, deleteTopics, kafka, relayProducerConfig } from '../fixtures';
import { sleep } from '../stats';

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

/** The messages the relay sends for these rows (outbox-relay.ts `send`). */
function messagesOf(rows: PendingRow[]): Message[] {
  return rows.map((r) => ({
    key: r.aggregateid,
    value: r.payload,
    headers: { ...r.headers, id: r.id, type: r.type, aggregateType: r.aggregatetype, aggregateId: r.aggregateid },
  }));
}

/** Metric 1: the relay draining a backlog vs kafkajs sendBatch of the same messages. */
export async function relayDrain(count: number, bytes = 500): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_drain');
  const topics: string[] = [];
  try {
    progress(`relay drain: filling a backlog of ${count.toLocaleString('en-US')} events of ${bytes} bytes`);
    await fillBacklog(db.ds, count, bytes);
    await db.ds.query('VACUUM ANALYZE outbox');
    const batchSize = 500;
    const rows: PendingRow[] = await db.ds.query(
      `SELECT id, seq, aggregatetype, aggregateid, type, payload::text AS payload, headers FROM outbox ORDER BY seq`,
    );
    const messages = messagesOf(rows);
    if (messages.some((m) => Buffer.byteLength(String(m.value)) !== bytes)) throw new Error('message size is off');

    const rawTopic = await createTopic('drain-raw');
    topics.push(rawTopic);
    progress('relay drain: baseline, kafkajs sendBatch of the same messages, 500 per request');
    const producer = kafka.producer(relayProducerConfig);
    let t0 = performance.now();
    await producer.connect();
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: rawTopic, messages: messages.slice(i, i + batchSize) }],
      });
    }
    const rawSeconds = (performance.now() - t0) / 1000;
    await producer.disconnect();
    const raw = count / rawSeconds;
    progress(`relay drain: baseline ${Math.round(raw)} msg/s`);

    const relayTopic = await createTopic('drain-relay');
    topics.push(relayTopic);
    let published = 0;
    let lastReport = performance.now();
    const relay = new OutboxRelay(db.ds, kafka, {
      name: 'bench-drain',
      topicFor: () => relayTopic,
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
    t0 = performance.now();
    await relay.start();
    while (published < count) await sleep(2);
    // The clock stops when the last batch is marked published, as the relay's work ends there.
    while ((await db.ds.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).length > 0) await sleep(2);
    const relaySeconds = (performance.now() - t0) / 1000;
    await relay.stop();
    const drained = count / relaySeconds;
    progress(`relay drain: relay ${Math.round(drained)} msg/s`);
    return [
      row(
        '1. relay drain throughput (baseline: kafkajs sendBatch)',
        drained,
        raw,
        'msg/s',
        '≥ 0.75×',
        atLeastRatio(0.75),
      ),
    ];
  } finally {
    await db.drop();
    if (topics.length) await deleteTopics(topics);
  }
}
