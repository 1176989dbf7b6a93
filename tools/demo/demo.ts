/**
 * `npm run demo`: infrastructure up, the three services up, sample orders placed, and a
 * timeline printed for each order showing every hop. Services keep running until Ctrl-C
 * (or pass --exit to stop after the timeline).
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import {
  adminConnection,
  describeEndpoints,
  infraUp,
  kafkaBrokers,
  logDir,
  mailApiUrl,
  RunningService,
  ServiceName,
  serviceUrl,
  startService,
  waitFor,
} from '@shop/infra';

const say = (line = '') => console.log(line);
const exitAfterTimeline = process.argv.includes('--exit');

const sampleOrders = [
  {
    customerId: 'ada',
    contactEmail: 'ada@example.com',
    items: [{ sku: 'BOOK-42', quantity: 2, unitPriceCents: 1999 }],
    shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  },
  {
    customerId: 'grace',
    contactEmail: 'grace@example.com',
    items: [
      { sku: 'MUG-7', quantity: 1, unitPriceCents: 899 },
      { sku: 'PEN-1', quantity: 3, unitPriceCents: 150 },
    ],
    shippingAddress: { line1: 'Rue de Rivoli 10', city: 'Paris', postalCode: '75001', country: 'FR' },
  },
];

interface Hop {
  at: Date;
  what: string;
}

async function main() {
  say('▶ infrastructure');
  await infraUp({ smokeTest: false });
  for (const line of describeEndpoints()) say(`  ${line}`);

  say('\n▶ services (logs in ' + logDir + ')');
  const names: ServiceName[] = ['order-service', 'shipping-service', 'email-service'];
  const services: RunningService[] = [];
  const stopAll = async () => {
    await Promise.all(services.map((s) => s.stop()));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
  try {
    await runDemo(names, services);
  } catch (err) {
    await stopAll();
    throw err;
  }
  if (exitAfterTimeline) await stopAll();
}

async function runDemo(names: ServiceName[], services: RunningService[]) {
  for (const name of names) {
    const t0 = Date.now();
    services.push(await startService(name));
    say(`  ${name.padEnd(17)} ${serviceUrl(name)}  healthy in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }

  say('\n▶ placing sample orders');
  const orderIds: string[] = [];
  for (const body of sampleOrders) {
    const res = await fetch(`${serviceUrl('order-service')}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': `demo-${randomUUID().slice(0, 8)}` },
      body: JSON.stringify(body),
    });
    const order = (await res.json()) as { id: string; totalCents: number };
    say(`  POST /orders → ${res.status}  order ${order.id}  total ${(order.totalCents / 100).toFixed(2)} EUR`);
    orderIds.push(order.id);
  }

  for (const orderId of orderIds) await printTimeline(orderId);

  if (exitAfterTimeline) return;
  say('\n▶ running. Try:');
  say(`  curl -s ${serviceUrl('order-service')}/orders/${orderIds[0]}`);
  say(`  curl -s ${serviceUrl('shipping-service')}/shipments`);
  say(`  curl -s ${serviceUrl('email-service')}/emails`);
  say(`  mail received: ${mailApiUrl()}/api/v1/messages`);
  say('  Ctrl-C stops the services (infrastructure keeps running; npm run infra:down stops it).');
}

async function printTimeline(orderId: string) {
  const hops: Hop[] = [];
  const orders = new Client(adminConnection('orders'));
  await orders.connect();
  try {
    await waitFor(
      'outbox row published',
      async () => {
        const { rows } = await orders.query('SELECT published_at FROM outbox WHERE aggregateid = $1', [orderId]);
        return rows[0]?.published_at != null;
      },
      30_000,
    );
    const { rows } = await orders.query(
      `SELECT o.placed_at, x.type, x.created_at, x.published_at FROM orders o JOIN outbox x ON x.aggregateid = o.id::text WHERE o.id = $1`,
      [orderId],
    );
    hops.push({
      at: rows[0].created_at,
      what: `committed   order row + outbox row (${rows[0].type}) in one transaction`,
    });
    hops.push({ at: rows[0].published_at, what: `published   marked published by the relay after the broker's ack` });
  } finally {
    await orders.end();
  }

  const placement = await findOnTopic(orderId);
  hops.push({
    at: placement.at,
    what: `on Kafka    ${ORDER_EVENTS_TOPIC} partition ${placement.partition} offset ${placement.offset}`,
  });

  const shipping = serviceUrl('shipping-service');
  await waitFor(
    'shipment',
    async () => (await getJson<unknown[]>(`${shipping}/shipments?orderId=${orderId}`)).length > 0,
    30_000,
  );
  const [shipment] = await getJson<{ status: string; createdAt: string }[]>(`${shipping}/shipments?orderId=${orderId}`);
  hops.push({
    at: new Date(shipment.createdAt),
    what: `shipping    shipment ${shipment.status} (inbox row in the same transaction)`,
  });

  const emailUrl = serviceUrl('email-service');
  await waitFor(
    'email sent',
    async () =>
      (await getJson<{ status: string }[]>(`${emailUrl}/emails?orderId=${orderId}`)).some((e) => e.status === 'SENT'),
    30_000,
  );
  const [email] = await getJson<{ kind: string; messageId: string; sentAt: string }[]>(
    `${emailUrl}/emails?orderId=${orderId}`,
  );
  hops.push({
    at: new Date(email.sentAt),
    what: `email       ${email.kind} sent over SMTP, Message-ID <${email.messageId}>`,
  });

  const t0 = hops[0].at.getTime();
  say(`\n▶ timeline of order ${orderId}`);
  for (const hop of hops.sort((a, b) => a.at.getTime() - b.at.getTime())) {
    say(`  ${hop.at.toISOString().slice(11, 23)}  +${String(hop.at.getTime() - t0).padStart(4)} ms  ${hop.what}`);
  }
}

async function findOnTopic(key: string): Promise<{ partition: number; offset: string; at: Date }> {
  const kafka = new Kafka({ clientId: 'demo', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `demo-reader-${randomUUID()}` });
  let found: { partition: number; offset: string; at: Date } | undefined;
  await consumer.connect();
  await consumer.subscribe({ topics: [ORDER_EVENTS_TOPIC], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      if (message.key?.toString() === key)
        found = { partition, offset: message.offset, at: new Date(Number(message.timestamp)) };
    },
  });
  try {
    await waitFor(`order ${key} on ${ORDER_EVENTS_TOPIC}`, async () => found !== undefined, 30_000);
  } finally {
    await consumer.disconnect();
  }
  return found as { partition: number; offset: string; at: Date };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
  return (await res.json()) as T;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
