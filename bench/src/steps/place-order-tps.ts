import { Outbox } from '@transactional-outbox/outbox';
import { atLeastRatio, atMostRatio, progress, ResultRow, row } from '../report';
import { benchDatabase, SERVICE_POOL_SIZE } from '../fixtures';
import { closedLoop, percentile } from '../stats';
import { cpuSince, sampleCpu } from '../cpu';
import { placeOrderTransaction } from './place-order';

const ROUNDS = 3;

export interface PlaceOrderResult {
  rows: ResultRow[];
  /** Transactions per second with the outbox insert: the maximum rate of the next step. */
  maxTps: number;
}

/**
 * Metric 2: the place-order transaction with and without its outbox insert, closed loop at
 * the services' pool size, synchronous_commit on. No relay runs: this is the write's cost.
 */
export async function placeOrderTps(durationMs: number): Promise<PlaceOrderResult> {
  const db = await benchDatabase('bench_tx', 'orders');
  try {
    const [{ synchronous_commit }] = await db.ds.query('SHOW synchronous_commit');
    if (synchronous_commit !== 'on') throw new Error(`synchronous_commit is ${synchronous_commit}, expected on`);
    const outbox = new Outbox({ notifyChannel: '' });
    const transaction = (withOutbox: boolean) => () =>
      placeOrderTransaction(db.ds, withOutbox ? outbox : undefined).then(() => undefined);
    progress(
      `place-order transaction: ${SERVICE_POOL_SIZE} concurrent, ${ROUNDS} rounds of ${durationMs / ROUNDS / 1000}s each way`,
    );
    await closedLoop(SERVICE_POOL_SIZE, Math.min(3000, durationMs / 5), transaction(true)); // warm-up
    // Alternating rounds, so load from elsewhere on the machine falls on both sides alike.
    const samples = { without: [] as number[], with: [] as number[] };
    const cpu = { without: 0, with: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      let c = sampleCpu();
      samples.without.push(...(await closedLoop(SERVICE_POOL_SIZE, durationMs / ROUNDS, transaction(false))));
      cpu.without += cpuSince(c).postgres;
      c = sampleCpu();
      samples.with.push(...(await closedLoop(SERVICE_POOL_SIZE, durationMs / ROUNDS, transaction(true))));
      cpu.with += cpuSince(c).postgres;
    }
    const pgMsPerTx = {
      without: (cpu.without / samples.without.length) * 1000,
      with: (cpu.with / samples.with.length) * 1000,
    };
    progress(
      `place-order: postgres CPU per transaction ${pgMsPerTx.with.toFixed(3)} ms with outbox, ${pgMsPerTx.without.toFixed(3)} ms without`,
    );
    const summary = (label: string, durations: number[]) => {
      const tps = durations.length / (durationMs / 1000);
      const p99 = percentile(durations, 99);
      progress(`place-order ${label}: ${Math.round(tps)} TPS, p99 ${p99.toFixed(1)} ms`);
      return { tps, p99 };
    };
    const without = summary('without outbox', samples.without);
    const withOutbox = summary('with outbox', samples.with);
    return {
      maxTps: withOutbox.tps,
      rows: [
        row(
          '2. postgres CPU per place-order with outbox (baseline: without)',
          pgMsPerTx.with,
          pgMsPerTx.without,
          'ms',
          'context',
          undefined,
        ),
        row(
          '2. place-order TPS with outbox (baseline: without)',
          withOutbox.tps,
          without.tps,
          'tx/s',
          '≥ 0.90×',
          atLeastRatio(0.9),
        ),
        row(
          '2. place-order p99 with outbox (baseline: without)',
          withOutbox.p99,
          without.p99,
          'ms',
          '≤ 1.15×',
          atMostRatio(1.15),
        ),
      ],
    };
  } finally {
    await db.drop();
  }
}
