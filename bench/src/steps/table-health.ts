import { DataSource } from 'typeorm';
import { Outbox, OutboxRelay, outboxSql } from '@transactional-outbox/outbox';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { atLeastRatio, atMost, atMostRatio, progress, ResultRow, row } from '../report';
import { admin, benchDatabase, createTopic, deleteTopics, kafka, orderPlacedEvent } from '../fixtures';
import { mean, percentile, sleep } from '../stats';

const EVENTS_PER_TRANSACTION = 100;
/** Writers pause above this backlog: the relay, not the writers, sets the pace. */
const MAX_BACKLOG = 5000;
/**
 * Published rows are deleted at the next retention run (every 250 ms), so the table's live
 * window (some 3k rows at 12k events/s) stays under the first checkpoint and the size ratio
 * shows bloat only. With 1 s every 1 s, the window was twice the checkpoint at that rate;
 * with the 300 s default the table holds 300 s of traffic by design.
 */
const RETENTION_SECONDS = 0;
const RETENTION_INTERVAL_MS = 250;

export interface TableHealthSizes {
  small: number;
  large: number;
  xminHoldMs: number;
  baselineMs: number;
}

interface TableState {
  bytes: number;
  deadTuples: number;
}

async function tableState(ds: DataSource): Promise<TableState> {
  const [state] = await ds.query(
    `SELECT pg_total_relation_size('outbox')::float8 AS bytes, dead_tuple_count::float8 AS "deadTuples"
       FROM pgstattuple_approx('outbox')`,
  );
  return state;
}

/**
 * Metric 8: writers and the relay churn through `large` events (insert, publish, delete
 * after retention); table size and dead tuples after `small` vs after `large`; the claim
 * query's latency meanwhile; then throughput while a transaction holds the xmin horizon.
 */
export async function tableHealth(sizes: TableHealthSizes): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_health');
  await admin(db.name, (c) => c.query('CREATE EXTENSION pgstattuple'));
  const topic = await createTopic('health');
  const sampler = await db.connect({ extra: { max: 1 } });
  let published = 0;
  let inserted = 0;
  let stopped = false;
  const relay = new OutboxRelay(db.ds, new KafkaJsPublisher(kafka), {
    name: 'bench-health',
    topicFor: () => topic,
    retentionSeconds: RETENTION_SECONDS,
    retentionIntervalMs: RETENTION_INTERVAL_MS,
    hooks: { afterPublish: (rows) => void (published += rows.length) },
  });
  const outbox = new Outbox({ localRelay: relay });
  type Phase = 'small' | 'large' | 'free' | 'held';
  let phase: Phase = 'small';
  const claimMs: Record<Phase, number[]> = { small: [], large: [], free: [], held: [] };
  // Dead tuples rise between vacuums and drop at each. Counted exactly (pgstattuple), not
  // from pg_stat_user_tables, whose figure lags up to a second: longer than the first phase.
  // Only during churn: under a held horizon the count would read the whole, growing table.
  const dead = { small: [] as number[], large: [] as number[] };
  const writer = async () => {
    while (!stopped) {
      if (inserted - published >= MAX_BACKLOG) {
        await sleep(1);
        continue;
      }
      const events = Array.from({ length: EVENTS_PER_TRANSACTION }, () => orderPlacedEvent());
      inserted += events.length;
      await db.ds.transaction((manager) => outbox.add(events, manager));
    }
  };
  // The claim as the relay runs it (from its current frontier), from a second connection (a read, so harmless), timed
  // by the server: this process's event loop, busy with the writers, would add its own delays.
  const sampleClaims = async () => {
    while (!stopped) {
      const [{ 'QUERY PLAN': plans }] = await sampler.query(
        `EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${outboxSql().claim}`,
        [500, [], relay.scanFrom, '{}'],
      );
      claimMs[phase].push(plans[0]['Planning Time'] + plans[0]['Execution Time']);
      if (phase === 'small' || phase === 'large') {
        dead[phase].push((await tableState(sampler)).deadTuples);
      }
      await sleep(100);
    }
  };
  const until = async (label: string, done: () => boolean) => {
    let last = performance.now();
    while (!done()) {
      if (performance.now() - last > 10_000) {
        last = performance.now();
        progress(`table health ${label}: ${published.toLocaleString('en-US')} events published`);
      }
      await sleep(50);
    }
  };
  const rateOver = async (label: string, ms: number) => {
    const p0 = published;
    const t0 = performance.now();
    await until(label, () => performance.now() - t0 >= ms);
    return (published - p0) / ((performance.now() - t0) / 1000);
  };

  await relay.start();
  const loops = [writer(), writer(), sampleClaims()];
  try {
    progress(
      `table health: churning ${sizes.large.toLocaleString('en-US')} events, retention ${RETENTION_SECONDS}s every ${RETENTION_INTERVAL_MS} ms`,
    );
    await until('to first checkpoint', () => published >= sizes.small);
    const small = await tableState(db.ds);
    phase = 'large';
    progress(
      `table health: after ${published.toLocaleString('en-US')}: ${(small.bytes / 2 ** 20).toFixed(1)} MiB, ${small.deadTuples} dead tuples`,
    );
    await until(`to ${sizes.large.toLocaleString('en-US')}`, () => published >= sizes.large);
    const large = await tableState(db.ds);
    progress(
      `table health: after ${published.toLocaleString('en-US')}: ${(large.bytes / 2 ** 20).toFixed(1)} MiB, ${large.deadTuples} dead tuples`,
    );
    phase = 'free';
    const churnClaims = [...claimMs.small, ...claimMs.large];

    progress(
      `table health: throughput for ${sizes.baselineMs / 1000}s, then ${sizes.xminHoldMs / 1000}s with the xmin horizon held`,
    );
    const free = await rateOver('without xmin hold', sizes.baselineMs);
    const holder = db.ds.createQueryRunner();
    await holder.connect();
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await holder.query('SELECT txid_current()'); // the snapshot, and with it the horizon, is now held
    let held: number;
    phase = 'held';
    try {
      held = await rateOver('xmin held', sizes.xminHoldMs);
    } finally {
      await holder.query('ROLLBACK');
      await holder.release();
    }
    progress(`table health: ${Math.round(free)} events/s free, ${Math.round(held)} events/s with xmin held`);
    const n = (k: number) => `${k >= 1e6 ? `${k / 1e6}M` : `${k / 1e3}k`}`;
    return [
      row(
        `8. outbox table size after ${n(sizes.large)} (baseline: after ${n(sizes.small)})`,
        large.bytes / 2 ** 20,
        small.bytes / 2 ** 20,
        'MiB',
        '≤ 1.5×',
        atMostRatio(1.5),
      ),
      // The mean, not the peak: the first phase has a few samples, the second hundreds.
      row(
        `8. outbox dead tuples, mean ${n(sizes.small)}–${n(sizes.large)} (baseline: mean up to ${n(sizes.small)})`,
        mean(dead.large),
        mean(dead.small),
        'rows',
        '≤ 1.5×',
        atMostRatio(1.5),
      ),
      row(
        `8. outbox dead tuples, peak ${n(sizes.small)}–${n(sizes.large)} (baseline: peak up to ${n(sizes.small)})`,
        percentile(dead.large, 100),
        percentile(dead.small, 100),
        'rows',
        'context',
        undefined,
      ),
      row('8. claim query p50 during churn', percentile(churnClaims, 50), null, 'ms', 'context', undefined),
      row('8. claim query p99 during churn', percentile(churnClaims, 99), null, 'ms', '≤ 5 ms', atMost(5)),
      row(
        '8. claim query p50, xmin held (baseline: not held)',
        percentile(claimMs.held, 50),
        percentile(claimMs.free, 50),
        'ms',
        'context',
        undefined,
      ),
      row(
        `8. throughput, xmin held ${sizes.xminHoldMs / 1000}s (baseline: not held)`,
        held,
        free,
        'events/s',
        '≥ 0.80×',
        atLeastRatio(0.8),
      ),
    ];
  } finally {
    stopped = true;
    await Promise.all(loops);
    await relay.stop();
    await db.drop();
    await deleteTopics([topic]);
  }
}
