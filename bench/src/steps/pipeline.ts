import { RunningService, startServices } from '@shop/infra';
import { progress, ResultRow, row } from '../report';
import { waitForConsumers } from '../fixtures';
import { cpuSecondsOf } from '../cpu';
import { atRate, percentile, sleep } from '../stats';
import { warmUp } from './http-throughput';
import { placeOrder, watchCommits } from './commit-to-consumed';

const CONSUMERS = ['shipping-service', 'email-service'];
const TARGET_RATE = 1000;
const P99_LIMIT_MS = 50;
/** Open-loop rates tried in turn, until one misses the p99 limit or loses an order. */
const RATES = [50, 100, 150, 200, 300, 400, 600, 800, 1000, 1250, 1500, 2000];

interface Step {
  rate: number;
  p99: number;
  failed: number;
  /** CPU milliseconds per order of each service process. */
  cpu: string;
}

/** An order is consumed once both its shipment and its confirmation e-mail are committed. */
function consumedLatencies(orders: Map<string, number>, ...consumers: Map<string, number>[]): number[] {
  const out: number[] = [];
  for (const [id, t0] of orders) {
    const ends = consumers.map((c) => c.get(id));
    if (ends.every((t) => t !== undefined)) out.push(Math.max(...(ends as number[])) - t0);
  }
  return out;
}

async function runStep(rate: number, durationMs: number, services: RunningService[], seen: Map<string, number>[]) {
  for (const m of seen) m.clear();
  const [orders, shipments, emails] = seen;
  const cpu0 = services.map((s) => cpuSecondsOf(s.process.pid));
  const { started, errors } = await atRate(rate, durationMs, placeOrder);
  const sent = started - errors.length;
  const end = Date.now() + 30_000;
  while (consumedLatencies(orders, shipments, emails).length < sent && Date.now() < end) await sleep(100);
  const samples = consumedLatencies(orders, shipments, emails);
  const cpu = services
    .map((s, i) => `${s.name} ${(((cpuSecondsOf(s.process.pid) - cpu0[i]) / Math.max(1, sent)) * 1000).toFixed(2)}`)
    .join(', ');
  const step: Step = { rate, p99: percentile(samples, 99), failed: errors.length + sent - samples.length, cpu };
  const p99Of = (consumer: Map<string, number>) => percentile(consumedLatencies(orders, consumer), 99).toFixed(1);
  progress(
    `pipeline ${rate} orders/s: commit→consumed p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms ` +
      `(shipment ${p99Of(shipments)}, e-mail ${p99Of(emails)}), ${step.failed} failed or unconsumed; ` +
      `CPU ms per order: ${cpu}`,
  );
  await waitForConsumers(CONSUMERS); // the next rate starts without a backlog
  return step;
}

/**
 * Metric 5b: the whole pipeline on this machine, HTTP → outbox → Kafka → shipping-service and
 * email-service (→ SMTP), at rising open-loop rates; reports the highest rate whose
 * commit→consumed p99 (order commit to the later of shipment and e-mail commits) stays ≤ 50 ms.
 */
export async function pipeline(durationMs: number): Promise<ResultRow[]> {
  const seen = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  const unwatch = [
    await watchCommits('orders', 'orders', 'id', seen[0]),
    await watchCommits('shipping', 'shipments', 'order_id', seen[1]),
    await watchCommits('email', 'outgoing_emails', 'order_id', seen[2]),
  ];
  let reached = 0;
  try {
    progress('pipeline: starting the three services');
    const services = await startServices(['order-service', 'shipping-service', 'email-service']);
    try {
      await warmUp(durationMs / 1000);
      await waitForConsumers(CONSUMERS);
      for (const rate of RATES) {
        const step = await runStep(rate, durationMs, services, seen);
        if (step.p99 > P99_LIMIT_MS || step.failed > 0) break;
        reached = rate;
      }
    } finally {
      await Promise.all(services.map((s) => s.stop()));
    }
  } finally {
    for (const stop of unwatch) await stop();
  }
  return [
    row(
      `5. whole pipeline: highest rate with commit→consumed p99 ≤ ${P99_LIMIT_MS} ms`,
      reached,
      null,
      'orders/s',
      `≥ ${TARGET_RATE} orders/s`,
      (value) => value >= TARGET_RATE,
    ),
  ];
}
