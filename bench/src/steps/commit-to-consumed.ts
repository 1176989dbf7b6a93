import { Client } from 'pg';
import { adminConnection, serviceUrl, startServices } from '@shop/infra';
import { progress, ResultRow, row } from '../report';
import { admin, orderRequest, waitForConsumers } from '../fixtures';
import { warmUp } from './http-throughput';
import { atRate, countUntil, latencies, percentile, sleep } from '../stats';

const CHANNEL = 'bench_commit';

/**
 * A NOTIFY from an AFTER INSERT trigger is delivered when its transaction commits, so a
 * listener learns both commit times on one clock without changing the services.
 */
export async function watchCommits(database: string, table: string, idColumn: string, seen: Map<string, number>) {
  await admin(database, (c) =>
    c.query(`
      CREATE OR REPLACE FUNCTION bench_notify_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${CHANNEL}', NEW.${idColumn}::text); RETURN NEW; END $$;
      DROP TRIGGER IF EXISTS bench_notify_commit ON ${table};
      CREATE TRIGGER bench_notify_commit AFTER INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION bench_notify_commit();`),
  );
  const listener = new Client(adminConnection(database));
  await listener.connect();
  listener.on('notification', (msg) => {
    if (msg.payload) seen.set(msg.payload, performance.now());
  });
  await listener.query(`LISTEN ${CHANNEL}`);
  return async () => {
    await listener.end();
    await admin(database, (c) =>
      c.query(`DROP TRIGGER IF EXISTS bench_notify_commit ON ${table}; DROP FUNCTION IF EXISTS bench_notify_commit()`),
    );
  };
}

export async function placeOrder(): Promise<void> {
  const res = await fetch(`${serviceUrl('order-service')}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(orderRequest('bench-e2e')),
  });
  if (res.status !== 201) throw new Error(`POST /orders answered ${res.status}`);
  await res.arrayBuffer();
}

/** From an order's commit to its shipment's commit, at an offered rate of orders per second. */
export interface ConsumedAtRate {
  p50: number;
  p99: number;
  samples: number;
  /** POST /orders that failed. */
  failed: number;
  /** Orders with no shipment 30 s after the run. */
  missing: number;
  /** Orders committed per second within the window. */
  achieved: number;
  /** Orders answered and not yet shipped when the last request was answered. */
  backlog: number;
}

export type MeasureConsumed = (rate: number, durationMs: number) => Promise<ConsumedAtRate>;

/**
 * Starts order-, shipping- and email-service as real processes, with listeners on the
 * commits of orders and of their shipments; `fn` measures at as many rates as it likes.
 */
export async function withPipeline<T>(warmUpSeconds: number, fn: (measure: MeasureConsumed) => Promise<T>): Promise<T> {
  const ordersCommitted = new Map<string, number>();
  const shipmentsCommitted = new Map<string, number>();
  progress('commit→consumed: starting the three services');
  // First: their migrations create the tables the listeners watch, on a new cluster too.
  const services = await startServices(['order-service', 'shipping-service', 'email-service']);
  const unwatch: (() => Promise<void>)[] = [];
  try {
    unwatch.push(await watchCommits('orders', 'orders', 'id', ordersCommitted));
    unwatch.push(await watchCommits('shipping', 'shipments', 'order_id', shipmentsCommitted));
    await warmUp(warmUpSeconds);
    await waitForConsumers(['shipping-service', 'email-service']);
    // shipping-service has caught up, and the listeners work, once these orders have their shipments.
    await Promise.all(Array.from({ length: 20 }, placeOrder));
    const deadline = Date.now() + 120_000;
    while (shipmentsCommitted.size < 20 || latencies(ordersCommitted, shipmentsCommitted).length < 20) {
      if (Date.now() > deadline) throw new Error('shipping-service did not catch up within 120 s');
      await sleep(100);
    }
    return await fn(async (rate, durationMs) => {
      ordersCommitted.clear();
      shipmentsCommitted.clear();
      progress(`commit→consumed: ${Math.round(rate)} orders/s for ${durationMs / 1000}s`);
      const t0 = performance.now();
      const { started, errors } = await atRate(rate, durationMs, placeOrder);
      const sent = started - errors.length;
      const achieved = countUntil(ordersCommitted, t0 + durationMs) / (durationMs / 1000);
      const backlog = sent - latencies(ordersCommitted, shipmentsCommitted).length;
      if (errors.length > 0)
        progress(`commit→consumed: ${errors.length} of ${started} POST /orders failed, e.g. ${String(errors[0])}`);
      const end = Date.now() + 30_000;
      while (latencies(ordersCommitted, shipmentsCommitted).length < sent && Date.now() < end) await sleep(100);
      await waitForConsumers(['shipping-service', 'email-service']); // no backlog left behind
      const samples = latencies(ordersCommitted, shipmentsCommitted);
      const missing = ordersCommitted.size - samples.length;
      if (missing > 0) progress(`commit→consumed: ${missing} orders had no shipment 30 s after the run`);
      const [p50, p99] = [percentile(samples, 50), percentile(samples, 99)];
      progress(`commit→consumed: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${samples.length} orders`);
      return { p50, p99, samples: samples.length, failed: errors.length, missing, achieved, backlog };
    });
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    for (const stop of unwatch) await stop();
  }
}

/**
 * Metric 4: from the commit of an order in order-service to the commit of its shipment in
 * shipping-service, at `rate` orders per second over HTTP.
 */
export async function commitToConsumed(rate: number, durationMs: number, publishP99: number): Promise<ResultRow[]> {
  const { p50, p99, failed, missing } = await withPipeline(durationMs / 1000, (measure) => measure(rate, durationMs));
  return [
    row('4. commit→consumed p50', p50, null, 'ms', 'context', undefined),
    row('4. POST /orders failed, or no shipment within 30 s', failed + missing, null, 'orders', 'context', undefined),
    row(
      '4. commit→consumed p99 (baseline: commit→publish p99)',
      p99,
      publishP99,
      'ms',
      '≤ baseline + 15 ms',
      (v, b) => b !== null && v <= b + 15,
    ),
  ];
}
