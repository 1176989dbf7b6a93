import autocannon from 'autocannon';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { RunningService, serviceUrl, startService, startServices } from '@shop/infra';
import { atLeastRatio, progress, ResultRow, row } from '../report';
import { admin, kafka, orderRequest } from '../fixtures';
import { sleep } from '../stats';
import { cpuSecondsOf } from '../cpu';

export const HTTP_CONNECTIONS = 10;

export interface HttpResult {
  rows: ResultRow[];
  /** Orders per second through HTTP with the relay and both consumers running. */
  maxRate: number;
}

/** Waits until the consumer groups have read order.placed.v1 to its end, e.g. a previous run's backlog. */
async function waitForConsumers(groups: string[]): Promise<void> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const ends = await kafkaAdmin.fetchTopicOffsets(ORDER_EVENTS_TOPIC);
      let lag = 0;
      for (const groupId of groups) {
        const [committed] = await kafkaAdmin.fetchOffsets({ groupId, topics: [ORDER_EVENTS_TOPIC] });
        for (const p of ends) {
          const done = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1);
          lag += Number(p.high) - (done < 0 ? Number(p.low) : done);
        }
      }
      if (lag === 0) return;
      if (Date.now() > deadline) throw new Error(`consumers still ${lag} messages behind after 180 s`);
      progress(`POST /orders: waiting for the consumers to catch up, ${lag} messages behind`);
      await sleep(2000);
    }
  } finally {
    await kafkaAdmin.disconnect();
  }
}

async function postOrders(label: string, durationSeconds: number, services: RunningService[]): Promise<number> {
  await autocannonRun(Math.min(5, Math.ceil(durationSeconds / 2))); // warm-up: JIT, pools, the relay's producer
  if (services.length > 1) await waitForConsumers(['shipping-service', 'email-service']);
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
    (services) => postOrders('with relay and consumers', durationSeconds, services),
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
