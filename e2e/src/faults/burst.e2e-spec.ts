import { killBroker, sleep, startBroker, waitFor } from '@shop/infra';
import { expectClean, FaultSystem } from './fault-system';
import { pendingOutbox } from './probes';

// 3,000 keeps `npm test` within CI's budget; FAULT_BURST_ORDERS=10000 is the full size.
const BURST = Number(process.env.FAULT_BURST_ORDERS ?? 3000);

/** Fault matrix, load: a burst of orders with a broker bounce in the middle; time to drain. */
describe('fault matrix: a burst under a broker bounce', () => {
  const system = new FaultSystem();

  beforeAll(() => system.startAll(), 120_000);
  afterAll(() => system.stopAll());

  it(`18. a burst of ${BURST} orders with a broker bounce in the middle: time to drain recorded`, async () => {
    const t0 = Date.now();
    const placing = system.placeOrders(BURST, 16);
    await waitFor('half the burst requested', async () => system.placedCount >= BURST / 2, 300_000);
    await killBroker();
    await sleep(5000);
    await startBroker();
    const orders = await placing;
    const placedMs = Date.now() - t0;
    const backlog = await pendingOutbox();
    await system.quiesce(600_000);
    const drainMs = Date.now() - t0 - placedMs;
    const f = await system.reconcile(
      orders,
      `burst(placed in ${(placedMs / 1000).toFixed(1)}s, outbox backlog then ${backlog}, drained ${(drainMs / 1000).toFixed(1)}s after the last answer)`,
    );
    expectClean(f);
    expect(f.acknowledged).toBe(BURST);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 900_000);
});
