import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { progress, ResultRow, row } from '../report';
import { benchDatabase, createTopic, deleteTopics, kafka } from '../fixtures';
import { addChart } from '../charts-output';
import { measureCommitToPublish } from './commit-to-publish';
import { withPipeline } from './commit-to-consumed';
import { kafkaDrain, measureDrain } from './relay-drain';
import { saturated } from '../stats';

export interface LatencyCurveSizes {
  /** The first offered rate of each curve; each next one is `factor` times the last. */
  publishFrom: number;
  consumedFrom: number;
  factor: number;
  windowMs: number;
  maxPoints: number;
}

/** One rate of a curve: what was offered, what got through, and the latency meanwhile. */
export interface CurvePoint {
  offered: number;
  achieved: number;
  p50: number;
  p99: number;
  saturated: boolean;
}

/** Measures at rising rates up to the first saturated one (included), or `maxPoints`. */
async function rise(
  from: number,
  sizes: LatencyCurveSizes,
  measure: (rate: number) => Promise<CurvePoint>,
): Promise<CurvePoint[]> {
  const points: CurvePoint[] = [];
  for (let rate = from; points.length < sizes.maxPoints; rate *= sizes.factor) {
    const point = await measure(Math.round(rate));
    points.push(point);
    progress(
      `latency curve: offered ${point.offered}/s, achieved ${Math.round(point.achieved)}/s${point.saturated ? ', saturated' : ''}`,
    );
    if (point.saturated) break;
  }
  return points;
}

/** The highest offered rate not saturated, and its p99; NaN when even the first one was. */
const sustained = (points: CurvePoint[]) => points.filter((p) => !p.saturated).pop() ?? { offered: NaN, p99: NaN };

/**
 * Issue 20, item 7a: commit→publish (step 3's measurement, woken on commit) and
 * commit→consumed (step 4's, the three services over HTTP) at rising offered rates, open
 * loop, until saturation.
 */
export async function latencyCurve(sizes: LatencyCurveSizes): Promise<ResultRow[]> {
  // First: order-service's migrations give the orders database the schema the publish half copies.
  const consumed = await withPipeline(sizes.windowMs / 1000, (measure) =>
    rise(sizes.consumedFrom, sizes, async (rate) => {
      const r = await measure(rate, sizes.windowMs);
      const failedOrLate = r.failed + r.missing > 0.01 * (r.samples + r.failed);
      return { offered: rate, ...r, saturated: failedOrLate || saturated(rate, r.achieved, r.backlog) };
    }),
  );
  const db = await benchDatabase('bench_curve', 'orders');
  const topic = await createTopic('curve');
  let publish: CurvePoint[];
  try {
    publish = await rise(sizes.publishFrom, sizes, async (rate) => {
      const r = await measureCommitToPublish(db, new KafkaJsPublisher(kafka), topic, {
        label: `at ${rate} tx/s`,
        wake: true,
        rate,
        durationMs: sizes.windowMs,
      });
      return { offered: rate, ...r, saturated: saturated(rate, r.achieved, r.backlog) };
    });
  } finally {
    await db.drop();
    await deleteTopics([topic]);
  }
  const series = (name: string, points: CurvePoint[], key: 'p50' | 'p99') => ({
    name,
    points: points.map((p) => [p.offered, p[key]] as const),
  });
  addChart('latency-curve', {
    title: 'Latency as the offered rate rises',
    description:
      'commit→publish (place-order transactions, the relay woken on commit, Kafka) and commit→consumed ' +
      '(POST /orders to the shipment commit, three services) p50 and p99 at each offered rate, open loop, ' +
      'for a window each, up to the first rate where less than 90 % got through or a backlog of more than ' +
      'a second of traffic was left; that last point is drawn too.',
    x: { label: 'offered rate (transactions or orders per second)', log: true },
    y: { label: 'latency (ms)', log: true },
    series: [
      series('commit→publish p50', publish, 'p50'),
      series('commit→publish p99', publish, 'p99'),
      series('commit→consumed p50', consumed, 'p50'),
      series('commit→consumed p99', consumed, 'p99'),
    ],
  });
  const [p, c] = [sustained(publish), sustained(consumed)];
  const first = (points: CurvePoint[]) => points.find((q) => q.saturated)?.offered ?? NaN;
  return [
    row('curves: commit→publish, highest rate sustained', p.offered, null, 'tx/s', 'context', undefined),
    row('curves: commit→publish p99 at the highest rate sustained', p.p99, null, 'ms', 'context', undefined),
    row('curves: commit→publish, first rate saturated', first(publish), null, 'tx/s', 'context', undefined),
    row('curves: commit→consumed, highest rate sustained', c.offered, null, 'orders/s', 'context', undefined),
    row('curves: commit→consumed p99 at the highest rate sustained', c.p99, null, 'ms', 'context', undefined),
    row('curves: commit→consumed, first rate saturated', first(consumed), null, 'orders/s', 'context', undefined),
  ];
}

/** Issue 20, item 7b: step 1's drain (one round each) for growing backlogs. */
export async function drainCurve(backlogs: readonly number[]): Promise<ResultRow[]> {
  const points: { backlog: number; relay: number; raw: number }[] = [];
  for (const backlog of backlogs) {
    const m = await measureDrain(kafkaDrain, backlog, 500, 1);
    points.push({ backlog, relay: m.total / m.relaySeconds, raw: m.total / m.rawSeconds });
  }
  addChart('drain-curve', {
    title: 'Drain throughput as the backlog grows',
    description:
      'Messages per second draining a backlog of 500-byte events to Kafka: the relay vs kafkajs sendBatch ' +
      'sending the same messages in the same batches (step 1, one round per backlog).',
    x: { label: 'backlog (events)', log: true },
    y: { label: 'throughput (msg/s)' },
    series: [
      { name: 'relay', points: points.map((q) => [q.backlog, q.relay] as const) },
      { name: 'kafkajs sendBatch', points: points.map((q) => [q.backlog, q.raw] as const) },
    ],
  });
  const n = (k: number) => (k >= 1e6 ? `${k / 1e6}M` : `${k / 1e3}k`);
  return points.map((q) =>
    row(
      `curves: relay drain, backlog ${n(q.backlog)} (baseline: kafkajs sendBatch)`,
      q.relay,
      q.raw,
      'msg/s',
      'context',
      undefined,
    ),
  );
}
