import {
  dropDebeziumSlots,
  dropReplicationSlots,
  queryAsAdmin,
  sleep,
  startConnect,
  stopConnect,
  waitFor,
} from '@shop/infra';
import { expectClean, FaultSystem, PlacedOrder } from './fault-system';

type Mode = 'polling' | 'logical' | 'debezium';
const PRODUCERS = ['order-service', 'shipping-service'] as const;

/**
 * Issue 18: the relay mode changed on a running system, polling → logical → debezium →
 * polling, while orders are placed and cancelled all along. Nothing may be lost; copies
 * published twice around a switch are absorbed by the inboxes.
 */
describe('fault matrix: switching the relay mode with orders in flight', () => {
  const system = new FaultSystem();
  const orders: PlacedOrder[] = [];
  const cancelled: string[] = [];
  let placing = true;

  beforeAll(() => system.startAll(), 120_000);
  afterAll(async () => {
    placing = false;
    await system.stopAll();
    await stopConnect();
    await dropDebeziumSlots();
    await dropReplicationSlots('outbox\\_relay\\_%');
  }, 60_000);

  /** Orders, every third one cancelled, until the test says stop; requests refused during a restart are kept as failures. */
  async function placeAndCancel(): Promise<void> {
    while (placing) {
      const batch = await system.placeOrders(10, 2);
      orders.push(...batch);
      const toCancel = batch.filter((o, i) => o.orderId && i % 3 === 0).map((o) => o.orderId as string);
      cancelled.push(...(await system.cancelOrders(toCancel)));
      if (batch.some((o) => !o.orderId)) await sleep(500);
    }
  }

  /** Restarts both producers one after the other, gracefully, in another relay mode. */
  async function restartProducers(mode: Mode, stopped = false): Promise<void> {
    for (const name of PRODUCERS) {
      if (!stopped) await system.service(name).stop();
      await system.start(name, { RELAY_MODE: mode });
    }
  }

  const slots = () =>
    queryAsAdmin<{ slot_name: string; active: boolean }>(
      'postgres',
      `SELECT slot_name, active FROM pg_replication_slots WHERE database IN ('orders', 'shipping') ORDER BY slot_name`,
    );
  const acknowledged = () => orders.filter((o) => o.orderId).length;

  it('25. polling → logical → debezium → polling: 0 lost, duplicates absorbed', async () => {
    const placer = placeAndCancel();
    const phase = async (name: string) => {
      const before = acknowledged();
      await sleep(6_000);
      console.log(`relay-switch: ${name}: ${acknowledged() - before} orders acknowledged`);
      expect(acknowledged()).toBeGreaterThan(before);
    };
    try {
      await phase('polling');

      // The logical relay creates its slot, publishes what polling left unmarked, then streams.
      await restartProducers('logical');
      await phase('logical');
      expect(await slots()).toEqual([
        { slot_name: 'outbox_relay_orders', active: true },
        { slot_name: 'outbox_relay_shipping', active: true },
      ]);

      // Connect first: its snapshot takes the unpublished rows and its slots every later
      // insert, so the producers can then delete rows on insert and stop relaying.
      await startConnect();
      await restartProducers('debezium');
      await waitFor(
        'the logical relays to release their slots',
        async () => {
          await dropReplicationSlots('outbox\\_relay\\_%');
          return (await slots()).every((s) => s.slot_name.startsWith('debezium_'));
        },
        30_000,
      );
      await phase('debezium');

      // The events of rows deleted on insert exist only in the WAL: the writers stop until
      // Debezium has confirmed past their last commit, then write with the polling relay.
      for (const name of PRODUCERS) await system.service(name).stop();
      const [{ lsn }] = await queryAsAdmin<{ lsn: string }>('postgres', 'SELECT pg_current_wal_lsn()::text AS lsn');
      const t0 = Date.now();
      await waitFor(
        'Debezium to confirm past the writers’ last commit',
        async () =>
          (
            await queryAsAdmin<{ done: boolean }>(
              'postgres',
              `SELECT bool_and(confirmed_flush_lsn >= $1::pg_lsn) AS done FROM pg_replication_slots WHERE slot_name LIKE 'debezium\\_%'`,
              [lsn],
            )
          )[0].done,
        60_000,
      );
      console.log(`relay-switch: Debezium confirmed the writers' last commit ${Date.now() - t0} ms after they stopped`);
      await restartProducers('polling', true);
      await stopConnect();
      expect((await dropDebeziumSlots()).sort()).toEqual(['debezium_orders', 'debezium_shipping']);
      await phase('polling again');
      expect(await slots()).toEqual([]);
    } finally {
      placing = false;
      await placer;
    }
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, 'relay-switch', cancelled);
    expectClean(f);
    expect(f.cancelled).toBeGreaterThan(10);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 420_000);
});
