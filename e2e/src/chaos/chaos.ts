/**
 * `npm run chaos`: a randomized soak. Orders flow at a set rate for a set duration while
 * faults drawn from the fault matrix hit the broker, the network, the services and
 * PostgreSQL; then everything is reconciled. Options: --rate <orders/s> (default 40),
 * --duration <s> (default 250), --fault-every <s> (default 7), --min-faults <n> (the load
 * goes on past the duration until that many faults were injected; default 1), --seed <n>,
 * --broker kafka|rabbitmq (default kafka).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import {
  adminConnection,
  crashPostgres,
  infraDown,
  infraUp,
  rabbitmqUrl,
  ROOT_DIR,
  settings,
  sleep,
  startPostgres,
  TcpProxy,
} from '@shop/infra';
import { FaultSystem, Figures, PlacedOrder } from '../faults/fault-system';
import { pendingEverywhere } from '../faults/probes';

interface Fault {
  kind: string;
  /** Injects the fault and repairs it; resolves once repaired. */
  run(): Promise<void>;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

const brokerArg = process.argv.indexOf('--broker');
const brokerName = brokerArg >= 0 ? process.argv[brokerArg + 1] : 'kafka';
if (brokerName !== 'kafka' && brokerName !== 'rabbitmq') throw new Error('--broker must be kafka or rabbitmq');
const broker: 'kafka' | 'rabbitmq' = brokerName;
process.env.BROKER = broker; // for tools/infra: the services' environment and the queues infraUp declares

const rate = option('rate', 40);
const durationS = option('duration', 250);
const faultEveryS = option('fault-every', 7);
const minFaults = option('min-faults', 1);
let seed = option('seed', Date.now() % 100_000);
const startSeed = seed;
// A small deterministic generator, so a run can be repeated with --seed.
const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const between = (lo: number, hi: number) => lo + random() * (hi - lo);

async function main() {
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s`;
  const { started } = await infraUp();
  const system = new FaultSystem(broker);
  // order-service reaches the broker through a proxy, so the network can fail too. Kafka's
  // proxied listener advertises the proxy's port; AMQP needs no such thing.
  const target = broker === 'kafka' ? settings.kafka.proxiedPort : settings.rabbitmq.port;
  const proxy = new TcpProxy(settings.kafka.proxyPort, { host: settings.host, port: target });
  await proxy.start();
  const proxied = (url: string) => Object.assign(new URL(url), { port: String(proxy.listenPort) }).toString();
  const orderEnv =
    broker === 'kafka'
      ? { KAFKA_BROKERS: `${settings.host}:${proxy.listenPort}` }
      : { RABBITMQ_URL: proxied(rabbitmqUrl('order-service')) };
  await system.view.open?.();
  await Promise.all([
    system.start('order-service', orderEnv),
    system.start('shipping-service'),
    system.start('email-service'),
  ]);
  console.log(
    `chaos on ${broker}: ${rate} orders/s for ${durationS}s, a fault every ~${faultEveryS}s, seed ${startSeed}`,
  );

  const faults = faultCatalogue(system, proxy, orderEnv);
  const injected: Record<string, number> = {};
  const injectedCount = () => Object.values(injected).reduce((a, b) => a + b, 0);
  const repairs: { kind: string; startedAt: number; at: number }[] = [];
  const samples: { at: number; backlog: number; lag: number }[] = [];
  const orders: PlacedOrder[] = [];
  const cancelled: string[] = [];
  let placing = true;
  let settled = false;

  const load = (async () => {
    const interval = 1000 / rate;
    let due = Date.now();
    const inflight = new Set<Promise<void>>();
    while (Date.now() - t0 < durationS * 1000 || injectedCount() < minFaults) {
      const p = system.placeOrders(1, 1).then(async ([o]) => {
        orders.push(o);
        // Every tenth order is cancelled: two events per order whose order must hold.
        if (o.orderId && orders.length % 10 === 0) cancelled.push(...(await system.cancelOrders([o.orderId])));
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      due += interval;
      await sleep(Math.max(0, due - Date.now()));
    }
    await Promise.all(inflight);
    placing = false;
  })();

  const sampler = (async () => {
    while (!settled) {
      try {
        // A probe that hangs on a frozen broker must not freeze the figures.
        const lagSum = system.view.lag().then((byQueue) => Object.values(byQueue).reduce((a, b) => a + b, 0));
        const probe = Promise.all([pendingEverywhere(), lagSum]);
        probe.catch(() => undefined); // a late failure after the timeout is of no interest
        const [backlog, lag] = await Promise.race([probe, sleep(5000).then(() => Promise.reject(new Error('slow')))]);
        samples.push({ at: Date.now(), backlog, lag });
      } catch {
        // the database or the broker is down right now; the next sample will tell
      }
      await sleep(1000);
    }
  })();

  const progress = setInterval(() => {
    const last = samples.at(-1);
    const total = injectedCount();
    console.log(
      `chaos ${elapsed()} orders=${orders.length} acked=${orders.filter((o) => o.orderId).length} faults=${total} backlog=${last?.backlog ?? '?'} lag=${last?.lag ?? '?'}`,
    );
  }, 5000);

  try {
    await sleep(faultEveryS * 1000);
    while (placing && (Date.now() - t0 < (durationS - faultEveryS) * 1000 || injectedCount() < minFaults)) {
      const fault = faults[Math.floor(random() * faults.length)];
      console.log(`chaos ${elapsed()} fault: ${fault.kind}`);
      const startedAt = Date.now();
      await fault.run();
      injected[fault.kind] = (injected[fault.kind] ?? 0) + 1;
      repairs.push({ kind: fault.kind, startedAt, at: Date.now() });
      await sleep(between(0.5, 1.5) * faultEveryS * 1000);
    }
    await load;
    console.log(`chaos ${elapsed()} load done; waiting for quiescence`);
    await system.quiesce(1_800_000);
  } finally {
    settled = true;
    clearInterval(progress);
    await sampler;
  }

  const f = await system.reconcile(orders, 'chaos', cancelled);
  const deadLetters = (await system.view.deadLetters()).filter((m) =>
    m.value.toString().includes(`chaos-${system.run}`),
  ).length;
  const report = summarize(
    f,
    injected,
    samples,
    repairs,
    deadLetters,
    faults.find((x) => x.kind === 'malformed'),
  );
  const results = join(ROOT_DIR, 'e2e/results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, 'chaos-latest.json'),
    JSON.stringify(
      {
        command: `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim(),
        broker,
        seed: startSeed,
        rate,
        durationS,
        ...report,
      },
      null,
      2,
    ),
  );
  printTable(report);
  await system.stopAll();
  await proxy.stop();
  if (started.length > 0) await infraDown();
  console.log(
    `chaos: orders=${report.orders} faults=${report.faults} lost=${report.lost} duplicate_effects=${report.duplicateEffects}`,
  );
  process.exitCode = report.lost === 0 && report.duplicateEffects === 0 && report.deadLettersUnexpected === 0 ? 0 : 1;
}

function faultCatalogue(
  system: FaultSystem,
  proxy: TcpProxy,
  orderEnv: NodeJS.ProcessEnv,
): (Fault & { count?: number })[] {
  const malformed = { kind: 'malformed', count: 0 } as Fault & { count: number };
  malformed.run = async () => {
    for (const topic of [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC])
      await system.view.publish(topic, [{ key: system.run, value: `chaos-${system.run} not json`, headers: {} }]);
    malformed.count++;
  };
  const restartAfter = (name: Parameters<FaultSystem['restart']>[0], signal: NodeJS.Signals) => async () => {
    await system.service(name).stop(signal);
    await sleep(between(500, 3000));
    await system.start(name, name === 'order-service' ? orderEnv : {});
  };
  return [
    {
      kind: 'broker-sigkill',
      run: async () => {
        await system.brokerControl.kill();
        await sleep(between(3000, 10_000));
        await system.brokerControl.start();
      },
    },
    {
      kind: 'broker-sigstop',
      run: async () => {
        system.brokerControl.pause();
        await sleep(between(3000, 15_000));
        system.brokerControl.resume();
      },
    },
    {
      kind: 'network-blackhole',
      run: async () => {
        proxy.blackhole();
        await sleep(between(3000, 15_000));
        proxy.pass();
      },
    },
    {
      kind: 'network-latency',
      run: async () => {
        proxy.latency(Math.round(between(200, 1000)));
        await sleep(between(5000, 10_000));
        proxy.latency(0);
      },
    },
    { kind: 'network-reset', run: async () => proxy.closeConnections() },
    { kind: 'order-service-sigkill', run: restartAfter('order-service', 'SIGKILL') },
    { kind: 'shipping-service-sigkill', run: restartAfter('shipping-service', 'SIGKILL') },
    { kind: 'email-service-sigkill', run: restartAfter('email-service', 'SIGKILL') },
    { kind: 'email-service-sigterm', run: restartAfter('email-service', 'SIGTERM') },
    {
      kind: 'consumer-sessions-terminated',
      run: async () => {
        const admin = new Client(adminConnection('postgres'));
        await admin.connect();
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE usename IN ('shipping_service', 'email_service')`,
        );
        await admin.end();
      },
    },
    {
      kind: 'postgres-crash',
      run: async () => {
        await crashPostgres();
        await sleep(between(1000, 4000));
        await startPostgres();
      },
    },
    {
      kind: 'rebalance',
      run: async () => {
        const extra = await system.startReplica('shipping-service', 1);
        await sleep(between(2000, 5000));
        await extra.stop();
      },
    },
    malformed,
  ];
}

function summarize(
  f: Figures,
  injected: Record<string, number>,
  samples: { at: number; backlog: number; lag: number }[],
  repairs: { kind: string; startedAt: number; at: number }[],
  deadLetters: number,
  malformed?: { count?: number },
) {
  // Recovery: from a repair until the backlog plus lag is back to where it stood before
  // the fault (plus one second of load); a saturated system is not blamed on one fault.
  const recoveries = repairs.map((r) => {
    const before = samples.filter((s) => s.at <= r.startedAt).at(-1);
    const ceiling = (before ? before.backlog + before.lag : 0) + rate;
    const back = samples.find((s) => s.at >= r.at && s.backlog + s.lag <= ceiling);
    return { kind: r.kind, ms: back ? back.at - r.at : NaN };
  });
  const longest = recoveries.filter((r) => !Number.isNaN(r.ms)).sort((a, b) => b.ms - a.ms)[0];
  // Each malformed injection puts one bad message on each of two topics; each has two consumers.
  const expectedDeadLetters = (malformed?.count ?? 0) * 2 * 2;
  return {
    orders: f.acknowledged + f.failedRequests,
    acknowledged: f.acknowledged,
    failedRequests: f.failedRequests,
    cancelled: f.cancelled,
    faults: Object.values(injected).reduce((a, b) => a + b, 0),
    faultsByKind: injected,
    lost:
      f.missingOrders +
      f.halfWrittenOrders +
      f.eventsMissingOnTopic +
      f.ordersWithoutShipment +
      f.ordersWithoutEmail +
      f.shipmentsNotCancelled +
      f.cancellationEmailsMissing,
    duplicateEffects: f.duplicateShipments + f.emailsWithSecondMessageId,
    resentWithSameMessageId: f.emailsResentWithSameMessageId,
    duplicatesOnTopic: f.duplicatesOnTopic,
    outOfOrder: f.outOfOrderOnTopic + f.consumedOutOfOrder,
    deadLetters,
    deadLettersUnexpected: Math.abs(deadLetters - expectedDeadLetters),
    largestBacklog: Math.max(0, ...samples.map((s) => s.backlog)),
    longestRecoveryMs: longest?.ms ?? 0,
    longestRecoveryAfter: longest?.kind ?? '-',
  };
}

function printTable(r: ReturnType<typeof summarize>) {
  const rows: [string, string | number][] = [
    ['orders requested', r.orders],
    ['orders acknowledged (201)', r.acknowledged],
    ['requests failed (order-service or PostgreSQL down)', r.failedRequests],
    ['orders cancelled', r.cancelled],
    ['faults injected', r.faults],
    ...Object.entries(r.faultsByKind).map(([k, v]): [string, number] => [`  ${k}`, v]),
    ['lost (events, shipments, emails, cancellations)', r.lost],
    ['duplicate side effects', r.duplicateEffects],
    ['emails re-sent with the same Message-ID', r.resentWithSameMessageId],
    ['duplicates on topics', r.duplicatesOnTopic],
    ['events out of order', r.outOfOrder],
    ['dead letters (all injected, none else)', `${r.deadLetters}${r.deadLettersUnexpected ? ' UNEXPECTED' : ''}`],
    ['largest outbox backlog', r.largestBacklog],
    ['longest recovery', `${(r.longestRecoveryMs / 1000).toFixed(1)} s (after ${r.longestRecoveryAfter})`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n| ${'measure'.padEnd(width)} | value |\n|${'-'.repeat(width + 2)}|-------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
  console.log('');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
