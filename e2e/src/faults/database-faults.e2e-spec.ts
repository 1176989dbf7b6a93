import { Client } from 'pg';
import { adminConnection, sleep, waitFor } from '@shop/infra';
import { expectClean, FaultSystem, PlacedOrder, queryDb } from './fault-system';
import { holdOrderTransaction } from './probes';

/**
 * Fault matrix, PostgreSQL: a long transaction holding a low outbox position, a crash
 * under load, and consumers' sessions terminated mid-transaction.
 */
describe('fault matrix: the databases', () => {
  const system = new FaultSystem();

  beforeAll(() => system.startAll(), 120_000);
  afterAll(() => system.stopAll());

  it('8. a transaction holding a low outbox position open while 1,000 orders commit', async () => {
    // What a slow request does: its order and outbox row are inserted, the commit comes late.
    const held = new Client(adminConnection('orders'));
    await held.connect();
    const slow = await holdOrderTransaction(held, `fault+${system.run}-held@example.com`);
    let orders: PlacedOrder[];
    let publishedWhileHeld: number;
    try {
      orders = await system.placeOrders(1000, 8);
      const ids = orders.flatMap((o) => (o.orderId ? [o.orderId] : []));
      // The relay must not wait for the open transaction to publish what committed after it.
      await waitFor(
        'later orders published while the early one is open',
        async () => (await publishedCount(ids)) === ids.length,
        120_000,
      );
      publishedWhileHeld = await publishedCount(ids);
      await held.query('COMMIT');
    } finally {
      await held.end();
    }
    await system.quiesce(180_000);
    const [{ first }] = await queryDb(
      'orders',
      `SELECT min(seq)::int AS first FROM outbox WHERE aggregateid = ANY($1::text[])`,
      [orders.flatMap((o) => (o.orderId ? [o.orderId] : []))],
    );
    expect(slow.seq).toBeLessThan(first);
    const f = await system.reconcile(
      [...orders, { email: slow.email, status: 201, orderId: slow.orderId }],
      `long-transaction(published while held: ${publishedWhileHeld})`,
    );
    expectClean(f);
    expect(f.acknowledged).toBe(1001);
  }, 420_000);

  it('9. PostgreSQL crash under load: 503s, never a 500, no half-written order, pools recover', async () => {
    const { during, after } = await system.placeOrdersThroughPostgresCrash();
    expect(during.filter((o) => o.status === 500)).toEqual([]);
    expect(during.filter((o) => o.status !== 201).every((o) => o.status === 503 || o.status === 'error')).toBe(true);
    expect(after.map((o) => o.status)).toEqual(Array(10).fill(201));
    await system.quiesce(180_000);
    const f = await system.reconcile([...during, ...after], 'postgres-crash');
    expectClean(f);
    expect(f.halfWrittenOrders).toBe(0);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);

  it("10. consumers' database sessions terminated mid-transaction", async () => {
    const placing = system.placeOrders(30, 3);
    const admin = new Client(adminConnection('postgres'));
    await admin.connect();
    let terminated = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE usename IN ('shipping_service', 'email_service')`,
        );
        terminated += rowCount ?? 0;
        await sleep(150);
      }
    } finally {
      await admin.end();
    }
    const orders = await placing;
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, `sessions-terminated(${terminated})`);
    expectClean(f);
    expect(terminated).toBeGreaterThan(0);
    // A sent email whose marking transaction was killed is marked on a fresh connection.
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 300_000);
});

async function publishedCount(orderIds: string[]): Promise<number> {
  const [{ n }] = await queryDb(
    'orders',
    'SELECT count(*)::int AS n FROM outbox WHERE aggregateid = ANY($1::text[]) AND published_at IS NOT NULL',
    [orderIds],
  );
  return n;
}
