import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, readWholeTopic } from '@shop/infra';
import { Outbox, OutboxRelay } from '@transactional-outbox/outbox';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { progress, ResultRow, row } from '../report';
import {
  admin,
  BenchDatabase,
  benchDatabase,
  createTopic,
  deleteTopics,
  kafka,
  SERVICE_POOL_SIZE,
  walPosition,
} from '../fixtures';
import { mean, sleep } from '../stats';
import { placeOrderTransaction } from './place-order';

/**
 * Cluster-wide counters, read before and after a window; the bench is the cluster's only user.
 * A backend adds its counts to them at most once a second (when idle: within a second), so wait.
 */
async function walCounters(): Promise<{ records: number; fpi: number; syncs: number; buffers: number }> {
  await sleep(1500);
  return admin('postgres', async (c) => {
    const { rows } = await c.query(
      `SELECT w.wal_records::float8 AS records, w.wal_fpi::float8 AS fpi,
              w.wal_sync::float8 AS syncs,
              (b.buffers_checkpoint + b.buffers_clean + b.buffers_backend)::float8 AS buffers
         FROM pg_stat_wal w, pg_stat_bgwriter b`,
    );
    return rows[0];
  });
}

const checkpoint = () => admin('postgres', (c) => c.query('CHECKPOINT'));

/** Per order: WAL bytes and records, full-page images, WAL syncs, shared buffers written (bytes). */
interface PerOrder {
  wal: number;
  records: number;
  fpi: number;
  syncs: number;
  pages: number;
}

const pending = async (db: BenchDatabase): Promise<boolean> =>
  (await db.ds.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).length > 0;

/**
 * `count` place-order transactions, `SERVICE_POOL_SIZE` at a time, in a window that starts
 * and ends with a CHECKPOINT: every page the orders dirty is written once within it, and
 * its first change after the checkpoint logs a full-page image, as in every checkpoint cycle.
 * With a `relay`, it publishes meanwhile, and the window's WAL ends when it has marked every row.
 */
async function window(
  db: BenchDatabase,
  outbox: Outbox | undefined,
  count: number,
  relay?: OutboxRelay,
): Promise<PerOrder> {
  await checkpoint();
  const [wal0, stats0] = [await walPosition(), await walCounters()];
  await relay?.start();
  let started = 0;
  await Promise.all(
    Array.from({ length: SERVICE_POOL_SIZE }, async () => {
      while (started < count) {
        started += 1;
        await placeOrderTransaction(db.ds, outbox);
      }
    }),
  );
  if (relay) {
    while (await pending(db)) await sleep(20);
    await relay.stop();
  }
  const wal = (await walPosition()) - wal0;
  await checkpoint();
  const stats = await walCounters();
  return {
    wal: wal / count,
    records: (stats.records - stats0.records) / count,
    fpi: (stats.fpi - stats0.fpi) / count,
    syncs: (stats.syncs - stats0.syncs) / count,
    pages: ((stats.buffers - stats0.buffers) * 8192) / count,
  };
}

const FIGURES = ['wal', 'records', 'fpi', 'syncs', 'pages'] as const;

/** The mean of each figure over the windows. */
const meanOf = (windows: PerOrder[]): PerOrder =>
  Object.fromEntries(FIGURES.map((k) => [k, mean(windows.map((w) => w[k]))])) as Record<keyof PerOrder, number>;

/** Heap, index and TOAST bytes per row of a table, and its tuples' mean size. */
async function rowSize(db: BenchDatabase, table: 'outbox' | 'orders') {
  const [r] = await db.ds.query(
    `SELECT count(*)::float8 AS n, avg(pg_column_size(t.*))::float8 AS tuple,
            pg_relation_size('${table}')::float8 AS heap, pg_indexes_size('${table}')::float8 AS indexes,
            pg_total_relation_size('${table}')::float8 AS total
       FROM ${table} t`,
  );
  return { tuple: r.tuple, heap: r.heap / r.n, indexes: r.indexes / r.n, total: r.total / r.n };
}

/** Bytes of the topic's log segments on the native broker's disk; NaN where the log dir is not here. */
function topicLogBytes(topic: string): number {
  const dataDir = join(INFRA_DIR, 'kafka/data');
  try {
    return readdirSync(dataDir)
      .filter((d) => d.startsWith(`${topic}-`))
      .flatMap((d) =>
        readdirSync(join(dataDir, d))
          .filter((f) => f.endsWith('.log'))
          .map((f) => statSync(join(dataDir, d, f)).size),
      )
      .reduce((a, b) => a + b, 0);
  } catch {
    return NaN;
  }
}

/** Key, value and headers (names and values) of each record on the topic, and the log's bytes, per record. */
async function kafkaBytes(topic: string) {
  const messages = await readWholeTopic(topic);
  let record = 0;
  for (const m of messages) {
    record += (m.key?.length ?? 0) + (m.value?.length ?? 0);
    for (const [name, value] of Object.entries(m.headers ?? {}))
      record += Buffer.byteLength(name) + (Buffer.isBuffer(value) ? value.length : Buffer.byteLength(String(value)));
  }
  return { record: record / messages.length, log: topicLogBytes(topic) / messages.length, count: messages.length };
}

/** WAL bytes and full-page images per event of `fn`, which handles `events` events; starts at a checkpoint. */
async function walPer(events: number, fn: () => Promise<unknown>): Promise<{ wal: number; fpi: number }> {
  await checkpoint();
  const [wal0, stats0] = [await walPosition(), await walCounters()];
  await fn();
  const [wal, stats] = [await walPosition(), await walCounters()];
  return { wal: (wal - wal0) / events, fpi: (stats.fpi - stats0.fpi) / events };
}

const SINGLE = 1000;

/**
 * What one placed order costs in bytes: PostgreSQL's WAL, syncs and pages written with and
 * without its outbox row (alternating windows, as step 2), the rows' size on disk, the WAL of
 * the relay marking a backlog and of retention deleting it, then of orders with the relay
 * publishing them as they commit, and the event's bytes on Kafka.
 */
export async function perOrder(sizes: { orders: number; rounds: number }): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_per_order', 'orders');
  const topics = {
    batched: await createTopic('per-order'),
    single: await createTopic('per-order-single'),
    live: await createTopic('per-order-live'),
  };
  try {
    // A vacuum in one window and not another would move its figures.
    await db.ds.query(
      `ALTER TABLE outbox SET (autovacuum_enabled = off); ALTER TABLE orders SET (autovacuum_enabled = off)`,
    );
    const settings = await admin('postgres', async (c) => {
      const names = [
        'wal_level',
        'wal_compression',
        'checkpoint_timeout',
        'max_wal_size',
        'wal_buffers',
        'data_checksums',
        'server_version',
      ];
      return (await Promise.all(names.map(async (n) => `${n}=${(await c.query(`SHOW ${n}`)).rows[0][n]}`))).join(', ');
    });
    progress(`per order: PostgreSQL ${settings}`);
    const outbox = new Outbox({ notifyChannel: '' });
    await window(db, outbox, Math.min(2000, sizes.orders)); // warm-up: connections, JIT, the indexes' upper pages
    const windows = { without: [] as PerOrder[], with: [] as PerOrder[] };
    for (let round = 1; round <= sizes.rounds; round++) {
      progress(`per order ${round}/${sizes.rounds}: ${sizes.orders.toLocaleString('en-US')} orders each way`);
      windows.without.push(await window(db, undefined, sizes.orders));
      windows.with.push(await window(db, outbox, sizes.orders));
    }
    const [w, wo] = [meanOf(windows.with), meanOf(windows.without)];
    progress(
      `per order: WAL ${Math.round(w.wal)} B with outbox, ${Math.round(wo.wal)} B without; ` +
        `FPI ${w.fpi.toFixed(3)} vs ${wo.fpi.toFixed(3)}; WAL syncs ${w.syncs.toFixed(3)} vs ${wo.syncs.toFixed(3)}`,
    );
    const outboxRow = await rowSize(db, 'outbox');
    const orderRow = await rowSize(db, 'orders');
    const [{ events }] = await db.ds.query(`SELECT count(*)::int AS events FROM outbox WHERE published_at IS NULL`);

    // The relay: first SINGLE events one per batch (the least batching, as at a trickle), then the rest in its default batches.
    const relayFor = (topic: string, options = {}) =>
      new OutboxRelay(db.ds, new KafkaJsPublisher(kafka), {
        name: 'bench-per-order',
        topicFor: () => topic,
        notifyChannel: '',
        ...options,
      });
    const single = relayFor(topics.single, { batchSize: 1 });
    for (let i = 0; i < SINGLE; i++) await single.relayBatch();
    await single.stop();
    const relay = relayFor(topics.batched);
    const drained = events - SINGLE;
    progress(`per order: the relay publishes ${drained.toLocaleString('en-US')} events in batches of up to 500`);
    const marking = await walPer(drained, async () => {
      await relay.start();
      while (await pending(db)) await sleep(20);
      await relay.stop();
    });
    const retainer = relayFor(topics.batched, { retentionSeconds: 0 });
    const retention = await walPer(events, async () => {
      while ((await retainer.applyRetention()) > 0);
      await db.ds.query('VACUUM outbox');
    });
    await retainer.stop();
    // The outbox is empty now: a relay polling every 100 ms marks each row within the window that inserted it.
    progress(`per order: ${sizes.orders.toLocaleString('en-US')} orders with the relay publishing meanwhile`);
    const live = await window(db, outbox, sizes.orders, relayFor(topics.live, { pollIntervalMs: 100 }));
    const batched = await kafkaBytes(topics.batched);
    const one = await kafkaBytes(topics.single);
    if (batched.count < drained || one.count < SINGLE) throw new Error('per order: events missing on the topics');
    progress(
      `per order: outbox row ${Math.round(outboxRow.total)} B on disk (tuple ${Math.round(outboxRow.tuple)} B); ` +
        `WAL per event: marking ${Math.round(marking.wal)} B, retention ${Math.round(retention.wal)} B, ` +
        `order with live relay ${Math.round(live.wal)} B; Kafka record ` +
        `${Math.round(batched.record)} B, log ${Math.round(batched.log)} B batched, ${Math.round(one.log)} B one per batch`,
    );
    const metric = (what: string) => `per order: ${what}`;
    return [
      row(metric('WAL with outbox row (baseline: without)'), w.wal, wo.wal, 'B', 'context'),
      row(metric('WAL records with outbox row (baseline: without)'), w.records, wo.records, 'records', 'context'),
      row(metric('WAL full-page images with outbox row (baseline: without)'), w.fpi, wo.fpi, 'FPI', 'context'),
      row(
        metric('pages written through a checkpoint, with outbox row (baseline: without)'),
        w.pages,
        wo.pages,
        'B',
        'context',
      ),
      row(metric('WAL syncs with outbox row (baseline: without)'), w.syncs, wo.syncs, 'fdatasync', 'context'),
      row(
        metric('outbox row on disk, heap + indexes (baseline: orders row)'),
        outboxRow.total,
        orderRow.total,
        'B',
        'context',
      ),
      row(
        metric('outbox tuple, pg_column_size (baseline: orders tuple)'),
        outboxRow.tuple,
        orderRow.tuple,
        'B',
        'context',
      ),
      row(
        metric('outbox indexes per row (baseline: orders indexes)'),
        outboxRow.indexes,
        orderRow.indexes,
        'B',
        'context',
      ),
      row(
        metric('WAL with outbox row and the relay publishing meanwhile (baseline: outbox row, no relay)'),
        live.wal,
        w.wal,
        'B',
        'context',
      ),
      row(
        metric('WAL full-page images with the relay publishing meanwhile (baseline: outbox row, no relay)'),
        live.fpi,
        w.fpi,
        'FPI',
        'context',
      ),
      row(
        metric('WAL of the relay marking a backlog published, per event (baseline: the order with outbox row)'),
        marking.wal,
        w.wal,
        'B',
        'context',
      ),
      row(
        metric('WAL full-page images of the relay marking a backlog, per event'),
        marking.fpi,
        null,
        'FPI',
        'context',
      ),
      row(
        metric('WAL of retention deleting the event, DELETE + VACUUM (baseline: the order with outbox row)'),
        retention.wal,
        w.wal,
        'B',
        'context',
      ),
      row(metric('WAL full-page images of retention, per event'), retention.fpi, null, 'FPI', 'context'),
      row(metric('Kafka record, key + value + headers'), batched.record, null, 'B', 'context'),
      row(
        metric('Kafka log per event, relay batches of up to 500 (baseline: key + value + headers)'),
        batched.log,
        batched.record,
        'B',
        'context',
      ),
      row(
        metric('Kafka log per event, one event per batch (baseline: key + value + headers)'),
        one.log,
        one.record,
        'B',
        'context',
      ),
    ];
  } finally {
    await db.drop();
    await deleteTopics(Object.values(topics));
  }
}
