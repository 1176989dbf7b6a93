import { randomUUID } from 'node:crypto';
import { fixtures, ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import {
  publishToTopic,
  queryAsAdmin,
  RunningService,
  settings,
  startServices,
  tapDeadLetters,
  waitFor,
} from '@shop/infra';

type Forged = { key: string | null; value: string; headers: Record<string, string> };

/** What the relay would publish for an envelope: keyed by its aggregate, with its envelope headers. */
const asTheRelayWould = (e: { id: string; type: string; aggregateType: string; aggregateId: string }): Forged => ({
  key: e.aggregateId,
  value: JSON.stringify(e),
  headers: { id: e.id, type: e.type, aggregateType: e.aggregateType, aggregateId: e.aggregateId },
});

const kafka = settings.broker === 'kafka';
const contradicts = (...parts: string[]) => `the transport contradicts the envelope: ${parts.join('; ')}`;

/**
 * The forged messages of issue 19, as someone with write access to the broker would produce
 * them: each is dead-lettered by every consumer of its topic with the reason named, and none
 * has an effect. Runs on the broker of this run (RabbitMQ has no key: the `aggregateId`
 * header stands for it). That only its producer may write a topic at all is the broker's ACLs.
 */
describe('forged messages are dead-lettered with a named reason, never handled', () => {
  let services: RunningService[] = [];
  const url = (name: string) => services.find((s) => s.name === name)?.url ?? '';

  beforeAll(async () => {
    services = await startServices(['order-service', 'shipping-service', 'email-service']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });

  /** Publishes `forged` to `topic` and returns each consumer's reason for refusing it, by consumer. */
  async function deadLettered(topic: string, consumers: string[], forged: Forged): Promise<Record<string, string>> {
    const id = String(JSON.parse(forged.value).id);
    const tap = await tapDeadLetters(topic, consumers);
    try {
      await publishToTopic(topic, [forged]);
      const ofThis = (m: { value: Buffer }) => m.value.toString('utf8').includes(id);
      const dead = await tap.waitFor(consumers.length, ofThis, 30_000);
      return Object.fromEntries(dead.map((m) => [m.headers['dlt-consumer'], m.headers['dlt-error']]));
    } finally {
      await tap.stop();
    }
  }

  const placed = (orderId = randomUUID()) => {
    const event = structuredClone(fixtures.orderPlacedV1);
    Object.assign(event, { id: randomUUID(), aggregateId: orderId, occurredAt: new Date().toISOString() });
    Object.assign(event.data, { orderId, contactEmail: `forged+${orderId}@example.com` });
    return event;
  };

  const effectsOf = async (orderId: string) => {
    const [[shipments], [emails]] = await Promise.all([
      queryAsAdmin('shipping', 'SELECT count(*)::int AS n FROM shipments WHERE order_id = $1', [orderId]),
      queryAsAdmin('email', 'SELECT count(*)::int AS n FROM outgoing_emails WHERE order_id = $1', [orderId]),
    ]);
    return { shipments: shipments.n, emails: emails.n };
  };

  /** A real order, placed through order-service, with its shipment scheduled and its confirmation queued. */
  async function realOrder(): Promise<{ orderId: string; shipmentId: string }> {
    const res = await fetch(`${url('order-service')}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: `customer-${randomUUID().slice(0, 8)}`,
        contactEmail: `e2e+${randomUUID()}@example.com`,
        items: [{ sku: 'BOOK-42', quantity: 1, unitPriceCents: 1999 }],
        shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      }),
    });
    expect(res.status).toBe(201);
    const { id: orderId } = (await res.json()) as { id: string };
    let shipmentId = '';
    await waitFor(
      'shipment scheduled and confirmation recorded',
      async () => {
        const [shipment] = await queryAsAdmin('shipping', 'SELECT id FROM shipments WHERE order_id = $1', [orderId]);
        shipmentId = shipment?.id ?? '';
        return shipmentId !== '' && (await effectsOf(orderId)).emails === 1;
      },
      30_000,
    );
    return { orderId, shipmentId };
  }

  /** What a dispatch would have changed: the order's status, the shipment's, the shipped notices. */
  const dispatchEffects = async (orderId: string) => {
    const [[order], [shipment], [notices]] = await Promise.all([
      queryAsAdmin('orders', 'SELECT status FROM orders WHERE id = $1', [orderId]),
      queryAsAdmin('shipping', 'SELECT status FROM shipments WHERE order_id = $1', [orderId]),
      queryAsAdmin(
        'email',
        `SELECT count(*)::int AS n FROM outgoing_emails WHERE order_id = $1 AND kind = 'shipped-notice'`,
        [orderId],
      ),
    ]);
    return { order: order.status, shipment: shipment.status, shippedNotices: notices.n };
  };

  const dispatched = (orderId: string, shipmentId: string) => {
    const event = structuredClone(fixtures.shipmentDispatchedV1);
    Object.assign(event, { id: randomUUID(), aggregateId: shipmentId, occurredAt: new Date().toISOString() });
    Object.assign(event.data, { shipmentId, orderId, carrier: 'FORGED', dispatchedAt: new Date().toISOString() });
    return event;
  };

  it('a. a valid order.placed.v1 without a key', async () => {
    const event = placed();
    const { id, type } = event; // its id and type headers, and no key (on RabbitMQ: no aggregateId header)
    const reasons = await deadLettered(ORDER_EVENTS_TOPIC, ['shipping-service', 'email-service'], {
      key: null,
      value: JSON.stringify(event),
      headers: { id, type },
    });
    const reason = kafka
      ? contradicts("the record key is missing (it must be the envelope's aggregateId)")
      : contradicts('header "aggregateId" is missing (it must be the envelope\'s aggregateId)');
    expect(reasons).toEqual({ 'shipping-service': reason, 'email-service': reason });
    expect(await effectsOf(event.data.orderId)).toEqual({ shipments: 0, emails: 0 });
  });

  it('b. an order.placed.v1 whose key and headers contradict its envelope', async () => {
    const event = placed();
    const elsewhere = randomUUID();
    const reasons = await deadLettered(ORDER_EVENTS_TOPIC, ['shipping-service', 'email-service'], {
      key: elsewhere,
      value: JSON.stringify(event),
      headers: {
        ...asTheRelayWould(event).headers,
        id: 'not-a-uuid',
        type: 'order.cancelled.v1',
        aggregateId: elsewhere,
      },
    });
    const headers = [
      'header "id" is not the envelope\'s id',
      'header "type" is not the envelope\'s type',
      'header "aggregateId" is not the envelope\'s aggregateId',
    ];
    const reason = kafka
      ? contradicts("the record key is not the envelope's aggregateId", ...headers)
      : contradicts(
          "the routing key is not the envelope's type",
          "the message id is not the envelope's id",
          ...headers,
        );
    expect(reasons).toEqual({ 'shipping-service': reason, 'email-service': reason });
    expect(await effectsOf(event.data.orderId)).toEqual({ shipments: 0, emails: 0 });
  });

  // Keyed by the order, as a forger who knows only the order would: the shipment is the aggregate.
  // Forged consistently (key and headers the shipment's), the inbox cannot tell it from the
  // real producer's: only the broker's ACL (shipping-service alone writes the topic) stops it.
  it('c. a shipment.dispatched.v1 for a real order, keyed by the order', async () => {
    const { orderId, shipmentId } = await realOrder();
    const forged = asTheRelayWould(dispatched(orderId, shipmentId));
    const reasons = await deadLettered(SHIPMENT_EVENTS_TOPIC, ['order-service', 'email-service'], {
      ...forged,
      key: orderId,
      headers: { ...forged.headers, aggregateId: orderId },
    });
    const header = 'header "aggregateId" is not the envelope\'s aggregateId';
    const reason = kafka
      ? contradicts("the record key is not the envelope's aggregateId", header)
      : contradicts(header);
    expect(reasons).toEqual({ 'order-service': reason, 'email-service': reason });
    expect(await dispatchEffects(orderId)).toEqual({ order: 'PLACED', shipment: 'SCHEDULED', shippedNotices: 0 });
  });

  it('d. a shipment.dispatched.v1 for a real order, on the order topic', async () => {
    const { orderId, shipmentId } = await realOrder();
    const reasons = await deadLettered(
      ORDER_EVENTS_TOPIC,
      ['shipping-service', 'email-service'],
      asTheRelayWould(dispatched(orderId, shipmentId)),
    );
    const reason =
      'event type "shipment.dispatched.v1" is not carried by topic "outbox.event.order" (produced by order-service)';
    expect(reasons).toEqual({ 'shipping-service': reason, 'email-service': reason });
    expect(await dispatchEffects(orderId)).toEqual({ order: 'PLACED', shipment: 'SCHEDULED', shippedNotices: 0 });
  });
});
