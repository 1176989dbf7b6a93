import { killBroker, RunningService, sleep, startBroker, startServices } from '@shop/infra';
import { DrillOptions, Path, place, Placed, reconcile, say, waitForOutboxPath } from './drill-support';

const PATHS: Path[] = ['naive', 'outbox'];

/**
 * The dual write against the outbox. Places N orders through each path, one of each at a
 * time, while the broker is SIGKILLed and restarted, then counts per path what reached the
 * topic and what effects followed. Returns what went wrong: the naive path must lose events
 * (else the drill proved nothing), the outbox path must lose none and duplicate no effect.
 */
export async function brokerKillDrill({ orders, run }: DrillOptions): Promise<string[]> {
  say('▶ services (order-service with DEMO_NAIVE_DUAL_WRITE=true)');
  const services: RunningService[] = await startServices(['order-service', 'shipping-service', 'email-service'], {
    DEMO_NAIVE_DUAL_WRITE: 'true',
  });
  try {
    const placed = await placeWhileBrokerDies(orders, run);
    await waitForOutboxPath(placed);
    const [naive, outbox] = await reconcile(placed, PATHS);
    say();
    say(`naive: ${naive.committed} orders, ${naive.lost} events lost`);
    say(`outbox: ${outbox.committed} orders, ${outbox.lost} lost, ${outbox.duplicateEffects} duplicate effects`);
    say(
      `drill: naive_lost=${naive.lost} outbox_lost=${outbox.lost} outbox_duplicate_effects=${outbox.duplicateEffects}`,
    );
    return [
      ...(naive.lost === 0 ? ['the naive path lost nothing: the broker was not down while it placed orders'] : []),
      ...(outbox.lost + outbox.withoutShipment + outbox.withoutEmail > 0 ? ['the outbox path lost events'] : []),
      ...(outbox.duplicateEffects > 0 ? ['the outbox path caused duplicate effects'] : []),
      ...[naive, outbox]
        .filter((r) => r.failedRequests > 0)
        .map((r) => `${r.path}: ${r.failedRequests} requests failed`),
    ];
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

/**
 * The broker is killed after a quarter of the orders and restarted from the half-way mark
 * while placement goes on, so the orders in between always meet a dead broker; the last
 * quarter waits for it to serve again, to show that the naive path loses only what it sent
 * during the outage.
 */
async function placeWhileBrokerDies(count: number, run: string): Promise<Placed[]> {
  const killAt = Math.floor(count / 4);
  const restartAt = Math.floor(count / 2);
  const backAt = Math.floor((count * 3) / 4);
  const placed: Placed[] = [];
  let restarting: Promise<void> | undefined;
  let restartedIn = 0;
  say(`▶ placing ${count} orders through each path; broker SIGKILLed at ${killAt}, restarted from ${restartAt}`);
  for (let i = 0; i < count; i++) {
    if (i === killAt) {
      await killBroker();
      say(`  ${i}/${count}  broker SIGKILLed`);
    }
    if (i === restartAt) {
      const t0 = Date.now();
      say(`  ${i}/${count}  restarting the broker (placement goes on)`);
      restarting = startBroker().then(() => void (restartedIn = Date.now() - t0));
    }
    if (i === backAt) {
      await restarting;
      say(`  ${i}/${count}  broker serving again, ${(restartedIn / 1000).toFixed(1)}s after its restart began`);
    }
    placed.push(...(await Promise.all(PATHS.map((path) => place(path, `drill+${run}-${path}-${i}@example.com`, run)))));
    if ((i + 1) % 5 === 0 || i + 1 === count) say(`  ${i + 1}/${count}  placed`);
    await sleep(200);
  }
  return placed;
}
