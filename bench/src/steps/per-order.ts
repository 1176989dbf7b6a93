import { Outbox, OutboxRelay } from '@transactional-outbox/outbox';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { progress, ResultRow, row } from '../report';
import { admin, benchDatabase, createTopic, deleteTopics, kafka } from '../fixtures';
import { sleep } from '../stats';
import { kafkaBytes, meanOf, pending, PerOrder, rowSize, walPer, window } from './per-order-measures';

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
