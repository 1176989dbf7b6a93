import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { consumerLag, readMailbox, RunningService, startService, startServices, waitFor } from '@shop/infra';
import { DrillOptions, kafka, place, Placed, printTable, queryDb, say, waitForOutboxPath } from './drill-support';

const consumers = {
  'shipping-service': [ORDER_EVENTS_TOPIC],
  'email-service': [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC],
} as const;
type Consumer = keyof typeof consumers;

/**
 * Places N orders, waits for their effects, then stops the consumers, resets their
 * consumer groups to the earliest offset and starts them again: every event the topics
 * hold is delivered a second time. Expected: not one new shipment, email row or mail.
 */
export async function topicReplayDrill({ orders, run }: DrillOptions): Promise<string[]> {
  const services = new Map<string, RunningService>();
  try {
    say('▶ services');
    for (const s of await startServices(['order-service', 'shipping-service', 'email-service']))
      services.set(s.name, s);
    say(`▶ placing ${orders} orders`);
    const placed: Placed[] = [];
    for (let i = 0; i < orders; i++) placed.push(await place('outbox', `drill+${run}-replay-${i}@example.com`, run));
    await waitForOutboxPath(placed);
    const before = await effects();

    say('▶ stopping shipping-service and email-service; resetting their consumer groups to the earliest offset');
    await Promise.all(Object.keys(consumers).map((name) => services.get(name)?.stop()));
    const admin = kafka.admin();
    await admin.connect();
    let replayed = 0;
    try {
      for (const [groupId, topics] of Object.entries(consumers)) {
        for (const topic of topics) {
          await admin.resetOffsets({ groupId, topic, earliest: true });
          const offsets = await admin.fetchTopicOffsets(topic);
          replayed += offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
        }
      }
    } finally {
      await admin.disconnect();
    }
    say(`  ${replayed} messages to deliver again`);
    for (const name of Object.keys(consumers) as Consumer[]) services.set(name, await startService(name));
    await waitForCaughtUp();
    const after = await effects();

    say('▶ effects before and after the replay (all orders, not only this run)');
    printTable(
      ['what', 'before', 'after'],
      (Object.keys(before) as (keyof typeof before)[]).map((k) => [k, before[k], after[k]]),
    );
    const added = (Object.keys(before) as (keyof typeof before)[]).reduce((sum, k) => sum + after[k] - before[k], 0);
    say();
    say(`drill[replay]: replayed_messages=${replayed} new_effects=${added}`);
    return [
      ...(added !== 0 ? [`the replay changed the effects by ${added}`] : []),
      ...(placed.some((p) => !p.orderId) ? ['some orders were not accepted'] : []),
    ];
  } finally {
    await Promise.all([...services.values()].map((s) => s.stop()));
  }
}

async function effects() {
  const [{ n: shipments }] = await queryDb('shipping', 'SELECT count(*)::int AS n FROM shipments');
  const [{ n: emailRows }] = await queryDb('email', 'SELECT count(*)::int AS n FROM outgoing_emails');
  return { 'shipments (rows)': shipments, 'emails (rows)': emailRows, 'mails received': (await readMailbox()).total };
}

/** Until every partition's committed offset has reached its end, for both groups. */
async function waitForCaughtUp(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const t0 = Date.now();
  let last = '';
  try {
    await waitFor(
      'the consumers to replay their topics',
      async () => {
        const behind = await consumerLag(admin, consumers);
        const line = `  ${behind} messages still to replay`;
        if (line !== last) say(`${line}  (+${((Date.now() - t0) / 1000).toFixed(0)}s)`);
        last = line;
        return behind === 0;
      },
      180_000,
    );
  } finally {
    await admin.disconnect();
  }
}
