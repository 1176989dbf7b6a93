import { randomUUID } from 'node:crypto';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC, SUBSCRIPTIONS } from '@shop/contracts';
import { inboxQueueTopology } from '@transactional-outbox/inbox/rabbitmq';
import { sleep } from '@shop/infra';
import { expectClean, FaultSystem, PlacedOrder, SERVICES } from './fault-system';

/**
 * The fault subset on RabbitMQ: the services run with BROKER=rabbitmq and each scenario is
 * reconciled with the same figures as the Kafka matrix. What the broker got is read from a tap
 * queue the harness binds at the start (RabbitMQ keeps nothing once acknowledged).
 */
describe('fault matrix on RabbitMQ', () => {
  const system = new FaultSystem('rabbitmq');

  beforeAll(() => system.startAll(), 120_000);
  afterAll(() => system.stopAll());

  it('R1. node SIGKILLed during order placement, restarted after 20 s', async () => {
    const placing = system.placeOrders(40, 4);
    await sleep(300);
    await system.brokerControl.kill();
    const killedAt = Date.now();
    const orders = await placing;
    await sleep(Math.max(0, 20_000 - (Date.now() - killedAt)));
    await system.brokerControl.start();
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, 'rabbitmq-sigkill');
    expectClean(f);
    expect(f.failedRequests).toBe(0); // placing an order never needs the broker
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);

  it('R2. node frozen for 40 s (SIGSTOP), then resumed; health answers within its timeout, readiness stays', async () => {
    const { orders, health } = await system.placeOrdersWhileFrozen();
    console.log(`health while the node is frozen: ${JSON.stringify(health)}`);
    for (const h of health) {
      expect(h).toMatchObject({ ready: 200, diagnostics: 200, rabbitmq: 'down', status: 'degraded' });
      expect(h.diagnosticsMs).toBeLessThan(3_500); // checks time out at 3 s
      expect(h.readyMs).toBeLessThan(3_500);
    }
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, 'rabbitmq-frozen');
    expectClean(f);
    expect(f.failedRequests).toBe(0);
  }, 300_000);

  it('R3. order-service killed after the confirm, before marking the rows published', async () => {
    await system.restart('order-service', { FAILPOINT: 'relay-after-publish' });
    const orders = await system.placeOrders(20, 2);
    expect(await system.service('order-service').exited).toBe('SIGKILL');
    await system.restart('order-service');
    await system.quiesce();
    const f = await system.reconcile(orders, 'rabbitmq:relay-after-publish');
    expectClean(f);
    expect(f.duplicatesOnTopic).toBeGreaterThan(0); // confirmed, not marked: published again
    expect(f.duplicateEmailDeliveries).toBe(0); // and absorbed by the inboxes
  }, 180_000);

  it.each(['shipping-service', 'email-service'] as const)(
    'R4. %s killed after its inbox commit, before the ack',
    async (name) => {
      await system.restart(name, { FAILPOINT: 'inbox-after-commit' });
      const orders = await system.placeOrders(10, 2);
      expect(await system.service(name).exited).toBe('SIGKILL');
      await system.restart(name);
      await system.quiesce();
      const f = await system.reconcile(orders, `rabbitmq:${name}:inbox-after-commit`);
      expectClean(f);
      expect(f.duplicateEmailDeliveries).toBe(0);
    },
    180_000,
  );

  it('R5. every event delivered three times: one effect each', async () => {
    const orders = await system.placeOrders(10, 2);
    await system.quiesce();
    const ids = new Set(orders.map((o) => o.orderId));
    const originals = (await system.view.published(ORDER_EVENTS_TOPIC)).filter((m) => ids.has(m.key));
    for (let copy = 0; copy < 2; copy++)
      await system.view.publish(
        ORDER_EVENTS_TOPIC,
        originals.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
      );
    await system.quiesce();
    const f = await system.reconcile(orders, 'rabbitmq:delivered-3x');
    expectClean(f);
    expect(f.duplicatesOnTopic).toBe(2 * orders.length);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 180_000);

  it('R6. malformed and unknown messages on every exchange land in each consumer’s dead-letter queue', async () => {
    const marker = `bad-${randomUUID()}`;
    const aggregateId = randomUUID();
    const bad = [
      `${marker} not json`,
      JSON.stringify({ id: randomUUID(), type: 'order.exploded.v1', marker, data: {} }),
      JSON.stringify({ id: randomUUID(), type: 'order.placed.v9', marker, data: {} }),
      JSON.stringify({
        id: randomUUID(),
        type: 'order.placed.v1',
        aggregateType: 'order',
        aggregateId,
        occurredAt: new Date().toISOString(),
        data: { marker },
      }),
    ];
    for (const exchange of [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC])
      await system.view.publish(
        exchange,
        bad.map((value) => ({ key: aggregateId, value, headers: { type: typeOf(value), aggregateId } })),
      );
    const orders = await system.placeOrders(5, 1); // good traffic behind the bad
    await system.quiesce();
    expectClean(await system.reconcile(orders, 'rabbitmq:malformed'));

    const letters = (await system.view.deadLetters()).filter((m) => m.value.toString().includes(marker));
    for (const [consumer, exchanges] of Object.entries(SUBSCRIPTIONS))
      for (const exchange of exchanges) {
        const { queue } = inboxQueueTopology(exchange, consumer);
        const mine = letters.filter((m) => m.headers['dlt-original-topic'] === queue);
        expect([queue, mine.length]).toEqual([queue, bad.length]);
        for (const m of mine) expect(m.headers['dlt-consumer']).toBe(consumer);
      }
    for (const name of SERVICES) expect(system.service(name).process.exitCode).toBeNull(); // alive
  }, 180_000);

  it('R7. consumer replicas started and stopped under load, orders cancelled as they go: per-order order kept', async () => {
    const consumers = SERVICES.filter((n) => n !== 'order-service');
    let storming = true;
    const orders: PlacedOrder[] = [];
    const cancelled: string[] = [];
    const placing = (async () => {
      while (storming) {
        const batch = await system.placeOrders(20, 2);
        orders.push(...batch);
        const toCancel = batch.filter((o, i) => o.orderId && i % 3 === 0).map((o) => o.orderId as string);
        cancelled.push(...(await system.cancelOrders(toCancel)));
      }
    })();
    let rounds = 0;
    try {
      for (; rounds < 3; rounds++) {
        // A standby replica, then the active one stopped: the standby takes the queue over.
        const extra = await Promise.all(consumers.map((n) => system.startReplica(n, 1)));
        await sleep(2000);
        await Promise.all(
          consumers.map((n) =>
            system
              .service(n)
              .stop()
              .then(() => system.start(n)),
          ),
        );
        await sleep(1000);
        await Promise.all(extra.map((s) => s.stop()));
      }
    } finally {
      storming = false;
    }
    await placing;
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, `rabbitmq:replicas(${rounds} rounds)`, cancelled);
    expectClean(f);
    expect(f.cancelled).toBeGreaterThan(10);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);
});

const typeOf = (value: string): string => {
  try {
    return String(JSON.parse(value).type);
  } catch {
    return 'unknown';
  }
};
