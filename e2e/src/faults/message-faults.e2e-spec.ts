import { randomUUID } from 'node:crypto';
import { fixtures, ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { Admin } from 'kafkajs';
import { operatorAuthorization, readMailbox, waitFor } from '@shop/infra';
import { expectClean, FaultSystem, printFigures, queryDb, readAll } from './fault-system';
import { pendingOutbox } from './probes';
import { deadLetterTopicFor } from '@transactional-outbox/inbox';

/**
 * Fault matrix, messages: replayed, duplicated, reordered and malformed events.
 */
describe('fault matrix: replayed, duplicated, reordered and bad messages', () => {
  const system = new FaultSystem();

  beforeAll(() => system.startAll(), 120_000);
  afterAll(() => system.stopAll());

  it('13. replay: consumer groups reset to the earliest offset cause no new side effects', async () => {
    const orders = await system.placeOrders(10, 2);
    await system.quiesce();
    const before = await effectCounts();
    await Promise.all((['shipping-service', 'email-service'] as const).map((n) => system.service(n).stop()));
    const admin = system.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: 'shipping-service', topic: ORDER_EVENTS_TOPIC, earliest: true });
    for (const topic of [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC])
      await admin.resetOffsets({ groupId: 'email-service', topic, earliest: true });
    await admin.disconnect();
    await Promise.all((['shipping-service', 'email-service'] as const).map((n) => system.start(n)));
    await system.quiesce(180_000);
    expect(await effectCounts()).toEqual(before);
    expectClean(await system.reconcile(orders, 'replay'));
  }, 300_000);

  it('14. every event produced three times: one effect each', async () => {
    const orders = await system.placeOrders(10, 2);
    await system.quiesce();
    const ids = new Set(orders.map((o) => o.orderId));
    const originals = (await readAll(ORDER_EVENTS_TOPIC)).filter((m) => ids.has(String(m.key)));
    const producer = system.kafka.producer();
    await producer.connect();
    for (let copy = 0; copy < 2; copy++) {
      await producer.send({
        topic: ORDER_EVENTS_TOPIC,
        acks: -1,
        messages: originals.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      });
    }
    await producer.disconnect();
    await system.quiesce();
    const f = await system.reconcile(orders, 'produced-3x');
    expectClean(f);
    expect(f.duplicatesOnTopic).toBe(2 * orders.length);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 180_000);

  it('15. cancellations that reach the consumers before their placements', async () => {
    const pairs = Array.from({ length: 10 }, () => {
      const orderId = randomUUID();
      const contactEmail = `fault+${system.run}-${orderId.slice(0, 8)}@example.com`;
      const cancelled = { ...fixtures.orderCancelledV1, id: randomUUID(), aggregateId: orderId };
      cancelled.data = { ...cancelled.data, orderId, contactEmail };
      const placed = { ...fixtures.orderPlacedV1, id: randomUUID(), aggregateId: orderId };
      placed.data = { ...placed.data, orderId, contactEmail };
      return { orderId, contactEmail, events: [cancelled, placed] };
    });
    const producer = system.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: ORDER_EVENTS_TOPIC,
      acks: -1,
      messages: pairs.flatMap((p) =>
        p.events.map((e) => ({ key: p.orderId, value: JSON.stringify(e), headers: { id: e.id, type: e.type } })),
      ),
    });
    await producer.disconnect();
    await system.quiesce();
    const ids = pairs.map((p) => p.orderId);
    const shipments = await queryDb(
      'shipping',
      'SELECT status, item_count FROM shipments WHERE order_id = ANY($1::uuid[])',
      [ids],
    );
    const mail = await readMailbox();
    const addresses = new Set(pairs.map((p) => p.contactEmail));
    const notices = mail.messages.filter((m) => addresses.has(m.To[0]?.Address) && m.Subject.endsWith('was cancelled'));
    const figures = {
      orders: pairs.length,
      tombstones: shipments.filter((s) => s.status === 'CANCELLED' && s.item_count === 0).length,
      scheduledAfterCancel: shipments.filter((s) => s.status !== 'CANCELLED').length,
      cancellationNotices: notices.length,
    };
    printFigures('cancel-before-place', figures);
    expect(figures).toEqual({ orders: 10, tombstones: 10, scheduledAfterCancel: 0, cancellationNotices: 10 });
  }, 180_000);

  it('16. malformed and unknown messages on every topic land in the dead-letter topics, exactly', async () => {
    const marker = `bad-${randomUUID()}`;
    const bad = [
      Buffer.from(`${marker} not json`),
      JSON.stringify({ id: randomUUID(), type: 'order.exploded.v1', marker, data: {} }),
      JSON.stringify({ id: randomUUID(), type: 'order.placed.v9', marker, data: {} }),
      JSON.stringify({
        id: randomUUID(),
        type: 'order.placed.v1',
        aggregateType: 'order',
        aggregateId: marker,
        occurredAt: new Date().toISOString(),
        data: { marker },
      }),
    ];
    const producer = system.kafka.producer();
    await producer.connect();
    for (const topic of [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC]) {
      await producer.send({ topic, acks: -1, messages: bad.map((value) => ({ key: marker, value })) });
    }
    await producer.disconnect();
    const orders = await system.placeOrders(5, 1); // good traffic behind the bad
    await system.quiesce();
    expectClean(await system.reconcile(orders, 'malformed'));

    const consumersOf = {
      [ORDER_EVENTS_TOPIC]: ['email-service', 'shipping-service'],
      [SHIPMENT_EVENTS_TOPIC]: ['email-service', 'order-service'],
    };
    for (const [topic, consumers] of Object.entries(consumersOf)) {
      const dead = (await readAll(deadLetterTopicFor(topic))).filter((m) => String(m.value).includes(marker));
      const perConsumer = consumers.map((c) => dead.filter((m) => String(m.headers?.['dlt-consumer']) === c).length);
      expect([topic, perConsumer]).toEqual([topic, consumers.map(() => bad.length)]);
    }
  }, 180_000);

  it('19. shipments dispatched while email-service has not read their orders yet: every notice sent, none dead-lettered', async () => {
    const admin = system.kafka.admin();
    await admin.connect();
    try {
      // The order topic's consumer of email-service held back: its committed offsets stay
      // before this scenario's placements while it reads the shipment topic.
      await system.service('email-service').stop();
      const heldAt = await resumePoints(admin, 'email-service', ORDER_EVENTS_TOPIC);
      const orders = await system.placeOrders(50, 5);
      const orderIds = orders.flatMap((o) => (o.orderId ? [o.orderId] : []));
      expect(orderIds).toHaveLength(50);
      const shipments = await Promise.all(orderIds.map((id) => scheduledShipment(id)));
      for (const id of shipments) await dispatch(id);
      await waitFor('shipment events published', async () => (await pendingOutbox('shipping')) === 0, 60_000);
      await admin.setOffsets({
        groupId: 'email-service',
        topic: ORDER_EVENTS_TOPIC,
        partitions: await endOffsets(admin),
      });
      await system.start('email-service');
      await waitFor(
        'email-service read the shipment topic',
        async () => (await groupLag(admin, 'email-service', SHIPMENT_EVENTS_TOPIC)) === 0,
        240_000, // a handler that retried each notice into the dead-letter topic took 3 s per event
      );
      const waiting = await queryDb(
        'email',
        `SELECT count(*)::int AS n FROM outgoing_emails WHERE kind = 'shipped-notice' AND status = 'WAITING' AND order_id = ANY($1::uuid[])`,
        [orderIds],
      );

      await system.service('email-service').stop(); // let the order topic go
      await admin.setOffsets({ groupId: 'email-service', topic: ORDER_EVENTS_TOPIC, partitions: heldAt });
      await system.start('email-service');
      await system.quiesce();

      const addresses = new Set(orders.map((o) => o.email));
      const mail = await readMailbox();
      const notices = mail.messages.filter(
        (m) => addresses.has(m.To[0]?.Address) && m.Subject.endsWith('is on its way'),
      );
      const ids = new Set(orderIds);
      const deadLetters = (await readAll(deadLetterTopicFor(SHIPMENT_EVENTS_TOPIC))).filter(
        (m) => String(m.headers?.['dlt-consumer']) === 'email-service' && ids.has(orderIdOf(m.value)),
      );
      const figures = {
        dispatched: shipments.length,
        waitingWhileHeld: waiting[0].n,
        shippedNotices: notices.length,
        deadLetters: deadLetters.length,
      };
      printFigures('notice-before-placement', figures);
      expect(figures).toEqual({ dispatched: 50, waitingWhileHeld: 50, shippedNotices: 50, deadLetters: 0 });
      expectClean(await system.reconcile(orders, 'notice-before-placement'));
    } finally {
      await admin.disconnect();
    }
  }, 480_000);

  async function scheduledShipment(orderId: string): Promise<string> {
    let id = '';
    await waitFor(
      'shipment scheduled',
      async () => {
        const res = await fetch(`${system.service('shipping-service').url}/shipments?orderId=${orderId}`, {
          headers: operatorAuthorization(),
        });
        const [shipment] = (await res.json()) as { id: string; status: string }[];
        id = shipment?.status === 'SCHEDULED' ? shipment.id : '';
        return id !== '';
      },
      60_000,
    );
    return id;
  }

  async function dispatch(shipmentId: string): Promise<void> {
    const res = await fetch(`${system.service('shipping-service').url}/shipments/${shipmentId}/dispatch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...operatorAuthorization() },
      body: JSON.stringify({ carrier: 'DHL' }),
    });
    expect(res.status).toBe(200);
  }

  async function committedOffsets(admin: Admin, groupId: string, topic: string) {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return committed.partitions.map(({ partition, offset }) => ({ partition, offset }));
  }

  /** Where the group would resume: its committed offset, or the oldest message where it has none. */
  async function resumePoints(admin: Admin, groupId: string, topic: string) {
    const oldest = await admin.fetchTopicOffsets(topic);
    return (await committedOffsets(admin, groupId, topic)).map(({ partition, offset }) => ({
      partition,
      offset: offset === '-1' ? (oldest.find((o) => o.partition === partition)?.low ?? '0') : offset,
    }));
  }

  async function endOffsets(admin: Admin) {
    return (await admin.fetchTopicOffsets(ORDER_EVENTS_TOPIC)).map(({ partition, high }) => ({
      partition,
      offset: high,
    }));
  }

  async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await committedOffsets(admin, groupId, topic);
    return ends.reduce((sum, { partition, high }) => {
      const done = Number(committed.find((c) => c.partition === partition)?.offset ?? -1);
      return sum + (done < 0 ? Number(high) : Number(high) - done);
    }, 0);
  }

  function orderIdOf(value: Buffer | null): string {
    try {
      return String(JSON.parse(String(value)).data?.orderId);
    } catch {
      return '';
    }
  }

  async function effectCounts() {
    const [{ n: shipments }] = await queryDb('shipping', 'SELECT count(*)::int AS n FROM shipments');
    const [{ n: emails }] = await queryDb('email', 'SELECT count(*)::int AS n FROM outgoing_emails');
    return { shipments, emails, deliveries: (await readMailbox()).total };
  }
});
