import { killBroker, settings, sleep, startBroker, stopBroker, TcpProxy, waitFor } from '@shop/infra';
import { expectClean, FaultSystem, PlacedOrder } from './fault-system';
import { pendingOutbox, timedHealth } from './probes';

/**
 * Fault matrix, broker and network: the broker killed, bounced, frozen, cut off and slowed,
 * and absent when consumers start. Each scenario prints a `reconcile[...]` line.
 */
describe('fault matrix: the broker and the network', () => {
  const system = new FaultSystem();

  beforeAll(() => system.startAll(), 120_000);
  afterAll(() => system.stopAll());

  it('1. broker SIGKILLed during order placement, restarted after 20 s', async () => {
    const placing = system.placeOrders(40, 4);
    await sleep(300);
    await killBroker();
    const killedAt = Date.now();
    const orders = await placing;
    await sleep(Math.max(0, 20_000 - (Date.now() - killedAt)));
    await startBroker();
    await system.quiesce();
    const f = await system.reconcile(orders, 'broker-sigkill');
    expectClean(f);
    expect(f.failedRequests).toBe(0); // placing an order never needs the broker
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 240_000);

  it('2. broker hard-bounced 5× while the relay drains a backlog', async () => {
    // Small relay batches make the drain last long enough to be cut several times.
    await system.restart('order-service', { OUTBOX_BATCH_SIZE: '5' });
    await killBroker();
    const orders = await system.placeOrders(500, 6);
    const pendingAtKill: number[] = [];
    try {
      for (let bounce = 0; bounce < 5; bounce++) {
        const before = await pendingOutbox();
        await startBroker();
        // Kill it again as soon as the relay is visibly draining.
        const startedAt = Date.now();
        while (before >= 20 && (await pendingOutbox()) >= before - 10 && Date.now() - startedAt < 120_000)
          await sleep(50);
        pendingAtKill.push(await pendingOutbox());
        await killBroker();
        orders.push(...(await system.placeOrders(50, 4)));
      }
    } finally {
      await startBroker();
    }
    await system.quiesce(240_000);
    const f = await system.reconcile(
      orders,
      `broker-bounced-5x(outbox backlog at each kill: ${pendingAtKill.join(',')})`,
    );
    expectClean(f);
    expect(f.failedRequests).toBe(0);
    expect(f.duplicateEmailDeliveries).toBe(0);
    expect(pendingAtKill.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3); // the kills hit a draining relay
    await system.restart('order-service');
  }, 420_000);

  it('3. broker paused for 40 s (SIGSTOP), then resumed; health answers within its timeout, readiness stays', async () => {
    const { orders, health } = await system.placeOrdersWhileFrozen();
    console.log(`health while the broker is frozen: ${JSON.stringify(health)}`);
    for (const h of health) {
      expect(h).toMatchObject({ ready: 200, diagnostics: 200, kafka: 'down', status: 'degraded' });
      expect(h.diagnosticsMs).toBeLessThan(3_500); // checks time out at 3 s
      expect(h.readyMs).toBeLessThan(3_500);
    }
    await system.quiesce(180_000);
    const f = await system.reconcile(orders, 'broker-paused');
    expectClean(f);
    expect(f.failedRequests).toBe(0);
  }, 300_000);

  it('4. blackhole, then 2 s of latency, between the relay and the broker', async () => {
    // The broker's PROXIED listener advertises the proxy's port, so the relay never bypasses it.
    const proxy = new TcpProxy(settings.kafka.proxyPort, { host: settings.host, port: settings.kafka.proxiedPort });
    await proxy.start();
    try {
      await system.restart('order-service', { KAFKA_BROKERS: `${settings.host}:${proxy.listenPort}` });
      const warm = await system.placeOrders(5, 1);
      await system.quiesce();

      proxy.blackhole();
      const cut = await system.placeOrders(20, 2);
      await sleep(20_000);
      const pendingInBlackhole = await pendingOutbox();

      proxy.latency(1000); // each way: 2 s per round trip
      proxy.pass();
      const slow = await system.placeOrders(20, 2);
      await waitFor('outbox drained through the slow link', async () => (await pendingOutbox()) === 0, 180_000);
      proxy.latency(0);
      await system.quiesce(180_000);

      const f = await system.reconcile(
        [...warm, ...cut, ...slow],
        `proxy-blackhole-latency(pending ${pendingInBlackhole})`,
      );
      expectClean(f);
      expect(pendingInBlackhole).toBeGreaterThan(0); // the cut really held the events back
      expect(f.failedRequests).toBe(0);
    } finally {
      await proxy.stop();
      await system.restart('order-service');
    }
  }, 420_000);

  it('17. broker absent when consumers start: ready (they serve HTTP), diagnostics and metrics say so, they recover', async () => {
    const consumers = ['shipping-service', 'email-service'] as const;
    await Promise.all(consumers.map((n) => system.service(n).stop()));
    await stopBroker();
    let orders: PlacedOrder[] = [];
    try {
      const started = await Promise.all(consumers.map((n) => system.start(n)));
      orders = await system.placeOrders(10, 2); // the order API does not need the broker
      for (let check = 0; check < 6; check++) {
        for (const s of started) {
          const h = await timedHealth(s.url);
          expect([s.name, h]).toMatchObject([s.name, { ready: 200, kafka: 'down', inbox: 'down', status: 'degraded' }]);
          const metrics = await (await fetch(`${s.url}/metrics`)).text();
          expect([s.name, metrics]).toEqual([s.name, expect.stringMatching(/^kafka_broker_reachable 0$/m)]);
        }
        await sleep(10_000);
      }
    } finally {
      await startBroker();
    }
    const pids = consumers.map((n) => system.service(n).process.pid);
    for (const name of consumers) {
      await waitFor(
        `${name} consumes again`,
        async () => (await timedHealth(system.service(name).url)).status === 'ok',
        120_000,
      );
    }
    await system.quiesce(180_000);
    expect(consumers.map((n) => system.service(n).process.pid)).toEqual(pids); // same processes
    const f = await system.reconcile(orders, 'broker-absent-at-start');
    expectClean(f);
    expect(f.duplicateEmailDeliveries).toBe(0);
  }, 420_000);
});
