import { Outbox } from '@shop/outbox';
import { atLeastRatio, atMostRatio, progress, ResultRow, row } from '../report';
import { benchDatabase, SERVICE_POOL_SIZE } from '../fixtures';
import { closedLoop, percentile } from '../stats';
import { placeOrderTransaction } from './place-order';

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
    const run = async (label: string, withOutbox: boolean) => {
      await closedLoop(SERVICE_POOL_SIZE, Math.min(3000, durationMs / 5), () =>
        placeOrderTransaction(db.ds, withOutbox ? outbox : undefined).then(() => undefined),
      );
      const durations = await closedLoop(SERVICE_POOL_SIZE, durationMs, () =>
        placeOrderTransaction(db.ds, withOutbox ? outbox : undefined).then(() => undefined),
      );
      const tps = durations.length / (durationMs / 1000);
      const p99 = percentile(durations, 99);
      progress(`place-order ${label}: ${Math.round(tps)} TPS, p99 ${p99.toFixed(1)} ms`);
      return { tps, p99 };
    };
    progress(`place-order transaction: ${SERVICE_POOL_SIZE} concurrent, ${durationMs / 1000}s each, warm-up first`);
    const without = await run('without outbox', false);
    const withOutbox = await run('with outbox', true);
    return {
      maxTps: withOutbox.tps,
      rows: [
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
