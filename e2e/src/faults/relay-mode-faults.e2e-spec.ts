import { Client } from 'pg';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import {
  adminConnection,
  killBroker,
  killConnect,
  ReadMessage,
  readTopic,
  sleep,
  startBroker,
  startConnect,
  stopConnect,
  waitFor,
} from '@shop/infra';
import { expectClean, FaultSystem, PlacedOrder } from './fault-system';
import { holdOrderTransaction } from './probes';
import { relaySlot, slotState } from './relay-modes';

/**
 * Fault matrix, the log-based relays: the services' own (RELAY_MODE=logical, a pgoutput slot
 * per producer database) and Debezium on Kafka Connect (RELAY_MODE=debezium). Each relay
 * confirms its slot position (or Connect its offsets) only after the broker's ack, so a
 * crash replays, never skips; topic order is commit order.
 */
describe.each(['logical', 'debezium'] as const)('fault matrix: the %s relay', (mode) => {
  const system = new FaultSystem('kafka', mode);
  const label = (scenario: string) => `${mode}:${scenario}`;

  beforeAll(() => system.startAll(), 240_000);
  afterAll(() => system.stopAll(), 120_000);

  /** Order events on the topic so far, all partitions. */
  const topicEnd = async () => {
    const admin = system.kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(ORDER_EVENTS_TOPIC)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  };

  it('20. the relay killed after publishing, before its position is stored', async () => {
    let orders: PlacedOrder[];
    if (mode === 'logical') {
      // The relaying instance SIGKILLs itself after its first publish; a replica with its
      // relay off takes the orders meanwhile.
      await system.restart('order-service', { FAILPOINT: 'relay-after-publish' });
      const front = await system.startReplica('order-service', 1, { OUTBOX_RELAY: 'off' });
      try {
        orders = await system.placeOrders(20, { concurrency: 2, urls: () => [front.url] });
        expect(await system.service('order-service').exited).toBe('SIGKILL');
        await system.restart('order-service');
      } finally {
        await front.stop();
      }
    } else {
      // Connect started moments ago: the kill may come before a connector's first offset store.
      let flowing = true;
      const placing = system.placeOrders(10_000, { concurrency: 2, intervalMs: 250, until: () => !flowing });
      try {
        const before = await topicEnd();
        await waitFor('Debezium publishing', async () => (await topicEnd()) >= before + 5, 60_000);
        await killConnect(); // offsets are stored every second: events after the last store go out again
        await sleep(2000);
        await startConnect();
      } finally {
        flowing = false;
      }
      orders = await placing;
    }
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, label('relay-killed-after-publish'));
    expectClean(f);
    expect(f.duplicateEmailDeliveries).toBe(0); // copies on the topic are absorbed by the inboxes
    if (mode === 'logical') expect(f.duplicatesOnTopic).toBeGreaterThan(0); // the kill came after a publish
  }, 300_000);

  it('21. PostgreSQL crash under load: the relay reconnects to its slot', async () => {
    const { during, after } = await system.placeOrdersThroughPostgresCrash();
    expect(during.filter((o) => o.status === 500)).toEqual([]);
    expect(after.map((o) => o.status)).toEqual(Array(10).fill(201));
    await system.quiesce(180_000);
    const f = await system.reconcile([...during, ...after], label('postgres-crash'));
    expectClean(f);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);

  it('22. broker SIGKILLed under load, restarted after 10 s', async () => {
    const placing = system.placeOrders(40, 4);
    await sleep(300);
    await killBroker();
    const killedAt = Date.now();
    const orders = await placing;
    await sleep(Math.max(0, 10_000 - (Date.now() - killedAt)));
    await startBroker();
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, label('broker-sigkill'));
    expectClean(f);
    expect(f.failedRequests).toBe(0); // placing an order never needs the broker
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);

  it('23. a long transaction open while 30 orders commit, committed last: topic order is commit order', async () => {
    const topic = await readTopic(ORDER_EVENTS_TOPIC);
    const held = new Client(adminConnection('orders'));
    await held.connect();
    try {
      // Under Debezium the services delete each row in its transaction; the held one does too.
      const slow = await holdOrderTransaction(held, `fault+${system.run}-held@example.com`, mode === 'debezium');
      const before = await system.placeOrders(30, 3);
      // Committed transactions stream past the open one: the relay does not wait for it.
      const ids = before.flatMap((o) => (o.orderId ? [o.orderId] : []));
      await waitFor(
        'the orders committed meanwhile published while the long transaction is open',
        async () => ids.every((id) => firstCopies(topic.messages).has(id)),
        120_000,
      );
      await held.query('COMMIT');
      const after = await system.placeOrders(15, 3);
      await system.quiesce(180_000);
      // Offsets order the events of one partition: compare with those on the held event's.
      const first = firstCopies(topic.messages);
      const heldAt = first.get(slow.orderId);
      expect(heldAt).toBeDefined();
      const onItsPartition = (orders: PlacedOrder[]) =>
        orders.flatMap((o) => {
          const at = first.get(o.orderId ?? '');
          return at && at.partition === heldAt?.partition ? [at.offset] : [];
        });
      const earlier = onItsPartition(before);
      const later = onItsPartition(after);
      expect(earlier.length).toBeGreaterThan(0);
      expect(earlier.filter((offset) => offset > (heldAt?.offset ?? -1))).toEqual([]);
      expect(later.filter((offset) => offset < (heldAt?.offset ?? Infinity))).toEqual([]);
      const f = await system.reconcile(
        [...before, { email: slow.email, status: 201, orderId: slow.orderId }, ...after],
        label(`long-transaction(on its partition: ${earlier.length} committed before it, ${later.length} after)`),
      );
      expectClean(f);
      expect(f.acknowledged).toBe(46);
    } finally {
      await held.end();
      await topic.stop();
    }
  }, 300_000);

  it('24. the relay down for 60 s while orders keep coming: the slot keeps the WAL', async () => {
    const slot = relaySlot(mode, 'orders');
    // logical: order-service keeps serving with its relay off; debezium: Connect stopped.
    if (mode === 'logical') await system.restart('order-service', { OUTBOX_RELAY: 'off' });
    else await stopConnect();
    const downAt = Date.now();
    let orders: PlacedOrder[];
    let whileDown: Awaited<ReturnType<typeof slotState>>;
    try {
      orders = await system.placeOrders(10_000, {
        concurrency: 2,
        intervalMs: 400,
        until: () => Date.now() - downAt > 60_000,
      });
      whileDown = await slotState(slot);
    } finally {
      if (mode === 'logical') await system.restart('order-service');
      else await startConnect();
    }
    expect(whileDown).toMatchObject({ active: false, lagBytes: expect.any(Number) });
    expect(whileDown?.lagBytes).toBeGreaterThan(0);
    await system.quiesce(240_000);
    const f = await system.reconcile(
      orders,
      label(
        `relay-down-60s(slot ${slot} inactive, holding ${Math.round((whileDown?.lagBytes ?? 0) / 1024)} KiB of WAL)`,
      ),
    );
    expectClean(f);
    expect(f.failedRequests).toBe(0);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);
});

/** Where the first copy of each order.placed event is, by order id. */
function firstCopies(messages: ReadMessage[]): Map<string, { partition: number; offset: number }> {
  const first = new Map<string, { partition: number; offset: number }>();
  for (const m of messages) {
    if (m.headers?.type?.toString() !== 'order.placed.v1') continue;
    const key = String(m.key);
    const at = { partition: m.partition, offset: Number(m.offset) };
    if ((first.get(key)?.offset ?? Infinity) > at.offset) first.set(key, at);
  }
  return first;
}
