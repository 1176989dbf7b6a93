import { DataSource } from 'typeorm';
import { Outbox, OutboxRelay, outboxSql } from '@transactional-outbox/outbox';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { atLeastRatio, atMost, atMostRatio, progress, ResultRow, row } from '../report';
import { admin, benchDatabase, createTopic, deleteTopics, kafka, orderPlacedEvent } from '../fixtures';
import { mean, percentile, sleep } from '../stats';
import { addChart } from '../charts-output';

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

/** One reading during the churn: sizes in MiB. */
interface TableSample {
  published: number;
  seconds: number;
  total: number;
  heap: number;
  indexes: number;
  dead: number;
}

async function tableState(ds: DataSource): Promise<Omit<TableSample, 'published' | 'seconds'>> {
  const [state] = await ds.query(
    `SELECT (pg_total_relation_size('outbox') / 2.0^20)::float8 AS total, (pg_relation_size('outbox') / 2.0^20)::float8 AS heap,
            (pg_indexes_size('outbox') / 2.0^20)::float8 AS indexes, dead_tuple_count::float8 AS dead
       FROM pgstattuple_approx('outbox')`,
  );
  return state;
}

/**
 * The steady state as users see it: `stat` of the samples in the last tenth of the churn
 * vs in its first tenth after the warm-up (the first `warmUp` events), single readings of
 * a saw-tooth being noise. Ratios of two readings of one run.
 */
function steadyState(samples: TableSample[], warmUp: number, end: number) {
  const tenth = (end - warmUp) / 10;
  const first = samples.filter((x) => x.published >= warmUp && x.published < warmUp + tenth);
  const last = samples.filter((x) => x.published >= end - tenth);
  return (stat: (values: number[]) => number, key: 'total' | 'dead') => ({
    first: stat(first.map((x) => x[key])),
    last: stat(last.map((x) => x[key])),
  });
}

/** At most `max` evenly spaced samples, for a chart. */
const thin = <T>(xs: T[], max: number) => xs.filter((_, i) => i % Math.ceil(xs.length / max) === 0);

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
  const claimSplit = { planning: [] as number[], execution: [] as number[], buffers: [] as number[] };
  // Dead tuples rise between vacuums and drop at each. Counted exactly (pgstattuple), not
  // from pg_stat_user_tables, whose figure lags up to a second.
  // Only during churn: under a held horizon the count would read the whole, growing table.
  const samples: TableSample[] = [];
  const t0 = performance.now();
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
        `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${outboxSql().claim}`,
        [500, [], relay.scanFrom, '{}'],
      );
      const [{ 'Planning Time': planning, 'Execution Time': execution, Plan: plan }] = plans;
      claimMs[phase].push(planning + execution);
      if (phase === 'small' || phase === 'large') {
        claimSplit.planning.push(planning);
        claimSplit.execution.push(execution);
        claimSplit.buffers.push(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']);
        const state = await tableState(sampler);
        samples.push({ published, seconds: (performance.now() - t0) / 1000, ...state });
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
    await until('warm-up', () => published >= sizes.small);
    phase = 'large';
    await until(`to ${sizes.large.toLocaleString('en-US')}`, () => published >= sizes.large);
    phase = 'free';
    const churnClaims = [...claimMs.small, ...claimMs.large];
    const steady = steadyState(samples, sizes.small, sizes.large);
    const size = steady((xs) => percentile(xs, 50), 'total');
    const dead = steady(mean, 'dead');
    const q = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(2)}, p99 ${percentile(xs, 99).toFixed(2)}`;
    progress(
      `table health: ${samples.length} samples; median size ${size.first.toFixed(1)} → ${size.last.toFixed(1)} MiB, ` +
        `mean dead tuples ${Math.round(dead.first)} → ${Math.round(dead.last)} (first → last tenth)`,
    );
    progress(
      `table health: claim planning ms ${q(claimSplit.planning)}; execution ms ${q(claimSplit.execution)}; ` +
        `buffers ${q(claimSplit.buffers)}`,
    );
    chartTableHealth(samples, sizes);

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
        `8. outbox table size, median of the last tenth of ${n(sizes.large)} (baseline: first tenth after warm-up)`,
        size.last,
        size.first,
        'MiB',
        '≤ 1.5×',
        atMostRatio(1.5),
      ),
      row(
        `8. outbox dead tuples, mean of the last tenth of ${n(sizes.large)} (baseline: first tenth after warm-up)`,
        dead.last,
        dead.first,
        'rows',
        '≤ 1.5×',
        atMostRatio(1.5),
      ),
      row(
        '8. outbox table size, peak during churn',
        Math.max(...samples.map((x) => x.total)),
        null,
        'MiB',
        'context',
        undefined,
      ),
      row(
        '8. outbox dead tuples, peak during churn',
        Math.max(...samples.map((x) => x.dead)),
        null,
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

/** Issue 20, item 7c: size and dead tuples over the churn. */
function chartTableHealth(samples: TableSample[], sizes: TableHealthSizes): void {
  const points = thin(samples, 400);
  const of = (key: keyof TableSample) => points.map((x) => [x.published, x[key]] as const);
  const how =
    `Two writers and the relay churn through ${sizes.large.toLocaleString('en-US')} events (insert, publish, ` +
    `delete at the next retention run every ${RETENTION_INTERVAL_MS} ms), sampled about every 100 ms; ` +
    `the first ${sizes.small.toLocaleString('en-US')} events are the warm-up.`;
  addChart('table-health-size', {
    title: `Outbox table size during ${sizes.large.toLocaleString('en-US')} events of churn`,
    description: `${how} Sizes from pg_total_relation_size, pg_relation_size and pg_indexes_size.`,
    x: { label: 'events published' },
    y: { label: 'size (MiB)' },
    series: [
      { name: 'table and indexes', points: of('total') },
      { name: 'heap', points: of('heap') },
      { name: 'indexes', points: of('indexes') },
    ],
  });
  addChart('table-health-dead', {
    title: `Outbox dead tuples during ${sizes.large.toLocaleString('en-US')} events of churn`,
    description: `${how} Dead tuples counted by pgstattuple_approx.`,
    x: { label: 'events published' },
    y: { label: 'dead tuples' },
    series: [{ name: 'dead tuples', points: of('dead') }],
  });
}
