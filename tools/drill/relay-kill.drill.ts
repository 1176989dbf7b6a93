import { RunningService, servicePort, serviceUrl, sleep, startService, startServices, waitFor } from '@shop/infra';
import { DrillOptions, place, Placed, reconcile, say, waitForOutboxPath } from './drill-support';

/**
 * Two order-service replicas. Replica A leads the relay and carries the failpoint
 * `relay-after-publish`: it SIGKILLs itself right after the broker acknowledged its first
 * batch and before marking the rows published. Replica B, on standby, takes the lead and
 * publishes those rows again. Orders go through B the whole time. Expected: nothing lost,
 * duplicates on the topic, and not one duplicate effect (the consumers' inbox absorbs them).
 */
export async function relayKillDrill({ orders, run }: DrillOptions): Promise<string[]> {
  const services: RunningService[] = [];
  try {
    say('▶ services: order-service replica A (relay leader, failpoint relay-after-publish), replica B, consumers');
    const a = await startService('order-service', { FAILPOINT: 'relay-after-publish' });
    services.push(a);
    // A must hold the lead before B starts, or B could take it and the failpoint never fire.
    await waitFor('replica A to lead the relay', async () => (await leaderGauge(a.url)) === '1', 30_000);
    const bPort = servicePort('order-service') + 10;
    const b = await startService('order-service', { PORT: String(bPort) });
    services.push(b, ...(await startServices(['shipping-service', 'email-service'])));
    say(`  replica A ${a.url}  outbox_relay_leader ${await leaderGauge(a.url)}`);
    say(`  replica B ${b.url}  outbox_relay_leader ${await leaderGauge(b.url)}`);

    say(`▶ placing ${orders} orders through replica B`);
    const placed: Placed[] = [];
    for (let i = 0; i < orders; i++) {
      placed.push(
        await place('outbox', `drill+${run}-relay-${i}@example.com`, run, serviceUrl('order-service', bPort)),
      );
      if ((i + 1) % 5 === 0 || i + 1 === orders) say(`  ${i + 1}/${orders}  placed`);
      await sleep(100);
    }
    const killed = await Promise.race([a.exited, sleep(30_000).then(() => 'still running')]);
    say(`  replica A ended: ${killed} (the failpoint fired after the broker's ack, before the mark)`);
    await sleep(1000);
    say(`  replica B ${b.url}  outbox_relay_leader ${await leaderGauge(b.url)}`);

    await waitForOutboxPath(placed);
    const [outbox] = await reconcile(placed, ['outbox']);
    say();
    say(
      `drill[relay]: outbox_lost=${outbox.lost} duplicates_on_topic=${outbox.duplicatesOnTopic} outbox_duplicate_effects=${outbox.duplicateEffects}`,
    );
    return [
      ...(killed !== 'SIGKILL' ? [`replica A was not killed by its failpoint (${killed})`] : []),
      ...(outbox.lost + outbox.withoutShipment + outbox.withoutEmail > 0 ? ['the outbox path lost events'] : []),
      ...(outbox.duplicateEffects > 0 ? ['the outbox path caused duplicate effects'] : []),
      ...(outbox.failedRequests > 0 ? [`${outbox.failedRequests} requests failed`] : []),
    ];
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

async function leaderGauge(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return /^outbox_relay_leader (\d+)$/m.exec(text)?.[1] ?? '?';
}
