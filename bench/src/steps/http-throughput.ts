import autocannon from 'autocannon';
import { RunningService, serviceUrl, startService, startServices } from '@shop/infra';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { admin, orderRequest, waitForConsumers } from '../fixtures';
import { cpuSecondsOf } from '../cpu';

export const HTTP_CONNECTIONS = 10;
const CONSUMERS = ['shipping-service', 'email-service'];

export interface HttpResult {
  rows: ResultRow[];
  /** Orders per second through HTTP with the relay and both consumers running. */
  maxRate: number;
}

async function postOrders(label: string, durationSeconds: number, services: RunningService[]): Promise<number> {
  await warmUp(durationSeconds);
  if (services.length > 1) await waitForConsumers(CONSUMERS);
  const cpu0 = services.map((s) => cpuSecondsOf(s.process.pid));
  const result = await autocannonRun(durationSeconds);
  const cpu = services.map(
    (s, i) => `${s.name} ${Math.round(((cpuSecondsOf(s.process.pid) - cpu0[i]) / durationSeconds) * 100)}%`,
  );
  const rate = result['2xx'] / durationSeconds;
  progress(
    `POST /orders ${label}: ${Math.round(rate)} orders/s, ${result.non2xx + result.errors} failed; CPU ${cpu.join(', ')}`,
  );
  if (result['2xx'] === 0) throw new Error(`POST /orders ${label}: no request succeeded`);
  return rate;
}

/** Freshly started services serve a fraction of their rate until the JIT has warmed up. */
export async function warmUp(durationSeconds: number): Promise<void> {
  await autocannonRun(Math.min(10, Math.ceil(durationSeconds / 2)));
}

function autocannonRun(durationSeconds: number) {
  return autocannon({
    url: `${serviceUrl('order-service')}/orders`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(orderRequest('bench-http')),
    connections: HTTP_CONNECTIONS,
    duration: durationSeconds,
  });
}

/** Stops services whatever happens, so a failed step leaves no process behind. */
async function withServices<T>(
  start: () => Promise<RunningService[]>,
  fn: (services: RunningService[]) => Promise<T>,
): Promise<T> {
  const services = await start();
  try {
    return await fn(services);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

/**
 * Metric 6: POST /orders with autocannon, against order-service with its relay and with
 * shipping-service and email-service consuming, vs order-service alone with the relay off.
 */
export async function httpThroughput(durationSeconds: number): Promise<HttpResult> {
  progress(`POST /orders: ${HTTP_CONNECTIONS} connections, ${durationSeconds}s each; starting the three services`);
  const full = await withServices(
    () => startServices(['order-service', 'shipping-service', 'email-service']),
    async (services) => {
      const rate = await postOrders('with relay and consumers', durationSeconds, services);
      await waitForConsumers(CONSUMERS); // leaves no backlog to the next step, or to the tests
      return rate;
    },
  );
  progress('POST /orders: starting order-service alone with OUTBOX_RELAY=off');
  const alone = await withServices(
    async () => [await startService('order-service', { OUTBOX_RELAY: 'off' })],
    (services) => postOrders('order-service alone, relay off', durationSeconds, services),
  );
  // Nobody will publish the baseline's events: drop them rather than flood the next step.
  await admin('orders', (c) => c.query('DELETE FROM outbox WHERE published_at IS NULL'));
  return {
    maxRate: full,
    rows: [
      row(
        '6. POST /orders with relay + consumers (baseline: alone, relay off)',
        full,
        alone,
        'req/s',
        '≥ 0.70×',
        atLeastRatio(0.7),
      ),
    ],
  };
}
