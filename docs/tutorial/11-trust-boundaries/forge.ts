/**
 * Tutorial chapter 11: someone holding order-service's Kafka credentials (so allowed to write
 * outbox.event.order) forges two events; the consumers dead-letter both and act on neither.
 * Needs the services running (`npm run demo`).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { fixtures, ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { kafkaClient, queryAsAdmin, serviceUrl, tapDeadLetters, waitFor } from '@shop/infra';

const consumers = ['shipping-service', 'email-service'];
const headersOf = (e: { id: string; type: string; aggregateType: string; aggregateId: string }) => ({
  id: e.id,
  type: e.type,
  aggregateType: e.aggregateType,
  aggregateId: e.aggregateId,
});

/** A real order, placed through the open POST /orders, with its shipment scheduled. */
async function placeOrder(): Promise<{ orderId: string; shipmentId: string }> {
  const res = await fetch(`${serviceUrl('order-service')}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      customerId: 'tutorial-customer',
      contactEmail: `tutorial+${randomUUID()}@example.com`,
      items: [{ sku: 'BOOK-42', quantity: 1, unitPriceCents: 1999 }],
      shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
    }),
  });
  const { id: orderId } = (await res.json()) as { id: string };
  let shipmentId = '';
  await waitFor(
    'the shipment scheduled',
    async () => {
      const [row] = await queryAsAdmin('shipping', 'SELECT id FROM shipments WHERE order_id = $1', [orderId]);
      shipmentId = row?.id ?? '';
      return shipmentId !== '';
    },
    30_000,
  );
  return { orderId, shipmentId };
}

async function main() {
  const { orderId, shipmentId } = await placeOrder();
  console.log(`placed order ${orderId}; shipping scheduled shipment ${shipmentId}`);

  // 1. A well-formed dispatch for the real order, on the topic these credentials may write.
  const dispatched = structuredClone(fixtures.shipmentDispatchedV1);
  Object.assign(dispatched, { id: randomUUID(), aggregateId: shipmentId, occurredAt: new Date().toISOString() });
  Object.assign(dispatched.data, { shipmentId, orderId, carrier: 'FORGED', dispatchedAt: new Date().toISOString() });
  // 2. An order that was never placed, without a key.
  const placed = structuredClone(fixtures.orderPlacedV1);
  const ghost = randomUUID();
  Object.assign(placed, { id: randomUUID(), aggregateId: ghost, occurredAt: new Date().toISOString() });
  Object.assign(placed.data, { orderId: ghost });

  const tap = await tapDeadLetters(ORDER_EVENTS_TOPIC, consumers);
  const producer = new Kafka({ ...kafkaClient('order-service'), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({
    topic: ORDER_EVENTS_TOPIC,
    acks: -1,
    messages: [
      { key: shipmentId, value: JSON.stringify(dispatched), headers: headersOf(dispatched) },
      { key: null, value: JSON.stringify(placed), headers: { id: placed.id, type: placed.type } },
    ],
  });
  await producer.disconnect();
  console.log(`as order-service: wrote ${dispatched.type} and a keyless ${placed.type} to ${ORDER_EVENTS_TOPIC}`);

  const ours = (m: { value: Buffer }) => [dispatched.id, placed.id].some((id) => m.value.toString().includes(id));
  const dead = await tap.waitFor(2 * consumers.length, ours, 30_000);
  await tap.stop();
  const lines = dead.map((m) => {
    const { type } = JSON.parse(m.value.toString()) as { type: string };
    return `dead-lettered by ${m.headers['dlt-consumer']}: ${type}: ${m.headers['dlt-error']}`;
  });
  for (const line of lines.sort()) console.log(line);

  const [order] = await queryAsAdmin('orders', 'SELECT status FROM orders WHERE id = $1', [orderId]);
  const [shipment] = await queryAsAdmin('shipping', 'SELECT status FROM shipments WHERE id = $1', [shipmentId]);
  const [ghosts] = await queryAsAdmin('shipping', 'SELECT count(*)::int AS n FROM shipments WHERE order_id = $1', [
    ghost,
  ]);
  console.log(`order ${order.status}, shipment ${shipment.status}; shipments for the order never placed: ${ghosts.n}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
