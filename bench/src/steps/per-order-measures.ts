/** What the per-order step measures: WAL and buffer counters over a window, row sizes, Kafka bytes. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, readWholeTopic } from '@shop/infra';
import { Outbox, OutboxRelay } from '@transactional-outbox/outbox';
import { admin, BenchDatabase, SERVICE_POOL_SIZE, walPosition } from '../fixtures';
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
export interface PerOrder {
  wal: number;
  records: number;
  fpi: number;
  syncs: number;
  pages: number;
}

export const pending = async (db: BenchDatabase): Promise<boolean> =>
  (await db.ds.query('SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1')).length > 0;

/**
 * `count` place-order transactions, `SERVICE_POOL_SIZE` at a time, in a window that starts
 * and ends with a CHECKPOINT: every page the orders dirty is written once within it, and
 * its first change after the checkpoint logs a full-page image, as in every checkpoint cycle.
 * With a `relay`, it publishes meanwhile, and the window's WAL ends when it has marked every row.
 */
export async function window(
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
export const meanOf = (windows: PerOrder[]): PerOrder =>
  Object.fromEntries(FIGURES.map((k) => [k, mean(windows.map((w) => w[k]))])) as Record<keyof PerOrder, number>;

/** Heap, index and TOAST bytes per row of a table, and its tuples' mean size. */
export async function rowSize(db: BenchDatabase, table: 'outbox' | 'orders') {
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
export async function kafkaBytes(topic: string) {
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
export async function walPer(events: number, fn: () => Promise<unknown>): Promise<{ wal: number; fpi: number }> {
  await checkpoint();
  const [wal0, stats0] = [await walPosition(), await walCounters()];
  await fn();
  const [wal, stats] = [await walPosition(), await walCounters()];
  return { wal: (wal - wal0) / events, fpi: (stats.fpi - stats0.fpi) / events };
}
