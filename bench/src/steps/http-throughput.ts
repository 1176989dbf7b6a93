import autocannon from 'autocannon';
import { RunningService, serviceUrl, startService, startServices } from '@shop/infra';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { admin, orderRequest } from '../fixtures';

export const HTTP_CONNECTIONS = 10;

export interface HttpResult {
  rows: ResultRow[];
  /** Orders per second through HTTP with the relay and both consumers running. */
  maxRate: number;
}

async function postOrders(label: string, durationSeconds: number): Promise<number> {
  const result = await autocannon({
    url: `${serviceUrl('order-service')}/orders`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(orderRequest('bench-http')),
    connections: HTTP_CONNECTIONS,
    duration: durationSeconds,
  });
  const rate = result['2xx'] / durationSeconds;
  progress(`POST /orders ${label}: ${Math.round(rate)} orders/s, ${result.non2xx + result.errors} failed`);
  if (result['2xx'] === 0) throw new Error(`POST /orders ${label}: no request succeeded`);
  return rate;
}

/** Stops services whatever happens, so a failed step leaves no process behind. */
async function withServices<T>(start: () => Promise<RunningService[]>, fn: () => Promise<T>): Promise<T> {
  const services = await start();
  try {
    return await fn();
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
    () => postOrders('with relay and consumers', durationSeconds),
  );
  progress('POST /orders: starting order-service alone with OUTBOX_RELAY=off');
  const alone = await withServices(
    async () => [await startService('order-service', { OUTBOX_RELAY: 'off' })],
    () => postOrders('order-service alone, relay off', durationSeconds),
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
