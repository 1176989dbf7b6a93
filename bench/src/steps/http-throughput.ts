import autocannon from 'autocannon';
import { RunningService, serviceUrl, startService, startServices } from '@shop/infra';
import { atLeastRatio, atMostRatio, progress, ResultRow, row } from '../report';
import { admin, orderRequest, waitForConsumers } from '../fixtures';
import { cpuSecondsOf, machineBusySeconds } from '../cpu';

export const HTTP_CONNECTIONS = 10;
const CONSUMERS = ['shipping-service', 'email-service'];

export interface HttpResult {
  rows: ResultRow[];
  /** Orders per second through HTTP with the relay and both consumers running. */
  maxRate: number;
}

interface HttpRun {
  rate: number;
  /** CPU time of the whole machine per order (every process: services, PostgreSQL, broker, load). */
  machineMsPerOrder: number;
  /** CPU time of each service process per order, by service name. */
  serviceMsPerOrder: Map<string, number>;
}

async function postOrders(label: string, durationSeconds: number, services: RunningService[]): Promise<HttpRun> {
  await warmUp(durationSeconds);
  if (services.length > 1) await waitForConsumers(CONSUMERS);
  const cpu0 = services.map((s) => cpuSecondsOf(s.process.pid));
  const machine0 = machineBusySeconds();
  const result = await autocannonRun(durationSeconds);
  // The consumers finish their share of these orders after the last answer: wait for them.
  if (services.length > 1) await waitForConsumers(CONSUMERS);
  const machineSeconds = machineBusySeconds() - machine0;
  const orders = Math.max(1, result['2xx']);
  const serviceSeconds = services.map((s, i) => cpuSecondsOf(s.process.pid) - cpu0[i]);
  const serviceMsPerOrder = new Map(services.map((s, i) => [s.name, (serviceSeconds[i] / orders) * 1000]));
  const cpu = services.map(
    (s, i) =>
      `${s.name} ${Math.round((serviceSeconds[i] / durationSeconds) * 100)}% (${serviceMsPerOrder.get(s.name)?.toFixed(2)} ms/order)`,
  );
  const rate = result['2xx'] / durationSeconds;
  const machineMsPerOrder = (machineSeconds / orders) * 1000;
  progress(
    `POST /orders ${label}: ${Math.round(rate)} orders/s, ${result.non2xx + result.errors} failed; CPU ${cpu.join(', ')}; ` +
      `machine ${machineMsPerOrder.toFixed(2)} ms of CPU per order`,
  );
  if (result['2xx'] === 0) throw new Error(`POST /orders ${label}: no request succeeded`);
  return { rate, machineMsPerOrder, serviceMsPerOrder };
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
      return postOrders('with relay and consumers', durationSeconds, services); // leaves no backlog behind
    },
  );
  progress('POST /orders: starting order-service alone with OUTBOX_RELAY=off');
  const alone = await withServices(
    async () => [await startService('order-service', { OUTBOX_RELAY: 'off' })],
    (services) => postOrders('order-service alone, relay off', durationSeconds, services),
  );
  // Nobody will publish the baseline's events: drop them rather than flood the next step.
  await admin('orders', (c) => c.query('DELETE FROM outbox WHERE published_at IS NULL'));
  // The relay runs inside order-service: its share is what order-service costs beyond the request alone.
  const request = alone.serviceMsPerOrder.get('order-service') ?? NaN;
  const ms = (name: string) => full.serviceMsPerOrder.get(name) ?? NaN;
  const pipeline = ms('order-service') - request + ms('shipping-service') + ms('email-service');
  progress(
    `POST /orders: CPU per order, relay ${(ms('order-service') - request).toFixed(2)} ms, shipping-service ` +
      `${ms('shipping-service').toFixed(2)} ms, email-service ${ms('email-service').toFixed(2)} ms; request ${request.toFixed(2)} ms`,
  );
  return {
    maxRate: full.rate,
    rows: [
      row(
        '6. POST /orders with relay + consumers (baseline: alone, relay off)',
        full.rate,
        alone.rate,
        'req/s',
        '≥ 0.70×',
        atLeastRatio(0.7),
      ),
      row(
        '6. machine CPU per order with relay + consumers (baseline: alone)',
        full.machineMsPerOrder,
        alone.machineMsPerOrder,
        'ms',
        'context',
        undefined,
      ),
      row(
        '6. CPU per order of relay + consumers (baseline: the request, order-service alone)',
        pipeline,
        request,
        'ms',
        '≤ 1.0×',
        atMostRatio(1.0),
      ),
    ],
  };
}
