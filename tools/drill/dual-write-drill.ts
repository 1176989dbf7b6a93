/**
 * `npm run drill`: the dual-write problem, counted. Places N orders through each path —
 * the naive dual write (commit, then send to Kafka; demo-only endpoint) and the outbox —
 * side by side while the broker is SIGKILLed and restarted, waits until the outbox path has
 * caught up, then reconciles each path against the topic (read from offset 0), the shipping
 * database and the SMTP sink. Exits non-zero unless the naive path lost events and the
 * outbox path lost none and caused no duplicate effect.
 *
 *   npm run drill -- --orders 30
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import {
  adminConnection,
  infraDown,
  infraUp,
  kafkaBrokers,
  killBroker,
  mailApiUrl,
  readTopic,
  RunningService,
  serviceUrl,
  sleep,
  startBroker,
  startServices,
  waitFor,
} from '@shop/infra';

type Path = 'naive' | 'outbox';
const PATHS: Path[] = ['naive', 'outbox'];
const endpoints: Record<Path, string> = { naive: '/demo/naive-orders', outbox: '/orders' };

interface Placed {
  path: Path;
  email: string;
  status: number | 'error';
  orderId?: string;
}

const say = (line = '') => console.log(line);

function ordersArg(argv: string[]): number {
  const at = argv.indexOf('--orders');
  if (at < 0) return 30;
  const n = Number(argv[at + 1]);
  if (!Number.isInteger(n) || n < 8 || n > 1000) throw new Error('--orders must be an integer from 8 to 1000');
  return n;
}

async function main(): Promise<number> {
  const count = ordersArg(process.argv.slice(2));
  const run = randomUUID().slice(0, 8);
  say('▶ infrastructure');
  const { started } = await infraUp();
  let services: RunningService[] = [];
  try {
    say('▶ services (order-service with DEMO_NAIVE_DUAL_WRITE=true)');
    services = await startServices(['order-service', 'shipping-service', 'email-service'], {
      DEMO_NAIVE_DUAL_WRITE: 'true',
    });
    const placed = await placeWhileBrokerDies(count, run);
    await waitForOutboxPath(placed);
    return await reconcile(placed);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    if (started.length > 0) await infraDown();
  }
}

/**
 * One naive and one outbox order at a time. The broker is killed after a quarter of them
 * and restarted from the half-way mark while placement goes on, so the orders in between
 * always meet a dead broker; the last quarter waits for it to serve again, to show that
 * the naive path loses only what it sent during the outage.
 */
async function placeWhileBrokerDies(count: number, run: string): Promise<Placed[]> {
  const killAt = Math.floor(count / 4);
  const restartAt = Math.floor(count / 2);
  const backAt = Math.floor((count * 3) / 4);
  const placed: Placed[] = [];
  let restarting: Promise<void> | undefined;
  let restartedAt = 0;
  say(
    `▶ placing ${count} orders through each path; broker SIGKILLed at ${killAt}, restarted from ${restartAt}, serving again by ${backAt}`,
  );
  for (let i = 0; i < count; i++) {
    if (i === killAt) {
      await killBroker();
      say(`  ${i}/${count}  broker SIGKILLed`);
    }
    if (i === restartAt) {
      const t0 = Date.now();
      say(`  ${i}/${count}  restarting the broker (placement goes on)`);
      restarting = startBroker().then(() => void (restartedAt = Date.now() - t0));
    }
    if (i === backAt) {
      await restarting;
      say(`  ${i}/${count}  broker serving again ${(restartedAt / 1000).toFixed(1)}s after its restart began`);
    }
    placed.push(...(await Promise.all(PATHS.map((path) => place(path, `drill+${run}-${path}-${i}@example.com`, run)))));
    if ((i + 1) % 5 === 0 || i + 1 === count) say(`  ${i + 1}/${count}  placed`);
    await sleep(200);
  }
  return placed;
}

async function place(path: Path, email: string, run: string): Promise<Placed> {
  try {
    const res = await fetch(`${serviceUrl('order-service')}${endpoints[path]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: `drill-${run}-${path}`,
        contactEmail: email,
        items: [{ sku: 'DRILL-1', quantity: 1, unitPriceCents: 100 }],
        shippingAddress: { line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await res.json()) as { id?: string };
    return { path, email, status: res.status, orderId: res.status === 201 ? body.id : undefined };
  } catch {
    return { path, email, status: 'error' };
  }
}

/** The outbox path owes every order an event, a shipment and an email: wait until all are there. */
async function waitForOutboxPath(placed: Placed[]): Promise<void> {
  const ids = placed.filter((p) => p.path === 'outbox' && p.orderId).map((p) => p.orderId as string);
  const t0 = Date.now();
  say(`▶ waiting for the outbox path to catch up (${ids.length} orders)`);
  let last = '';
  await waitFor(
    'the outbox path to deliver every event, shipment and email',
    async () => {
      const [{ pending }] = await queryDb(
        'orders',
        'SELECT count(*)::int AS pending FROM outbox WHERE published_at IS NULL AND aggregateid = ANY($1::text[])',
        [ids],
      );
      const [{ shipped }] = await queryDb(
        'shipping',
        'SELECT count(DISTINCT order_id)::int AS shipped FROM shipments WHERE order_id = ANY($1::uuid[])',
        [ids],
      );
      const [{ sent }] = await queryDb(
        'email',
        `SELECT count(DISTINCT order_id)::int AS sent FROM outgoing_emails
          WHERE kind = 'order-confirmation' AND status = 'SENT' AND order_id = ANY($1::uuid[])`,
        [ids],
      );
      const line = `  unpublished ${pending}, shipments ${shipped}/${ids.length}, emails sent ${sent}/${ids.length}`;
      if (line !== last) say(`${line}  (+${((Date.now() - t0) / 1000).toFixed(0)}s)`);
      last = line;
      return pending === 0 && shipped === ids.length && sent === ids.length;
    },
    180_000,
  );
  // Room for a late duplicate (a redelivery after the broker's return) to show up in the counts.
  await sleep(3000);
}

async function reconcile(placed: Placed[]): Promise<number> {
  const topic = await readWholeTopic(ORDER_EVENTS_TOPIC);
  const onTopic = new Map<string, number>();
  for (const m of topic)
    if (m.headers?.type?.toString() === 'order.placed.v1')
      onTopic.set(String(m.key), (onTopic.get(String(m.key)) ?? 0) + 1);
  const mail = (await (await fetch(`${mailApiUrl()}/api/v1/messages`)).json()) as {
    messages: { To: { Address: string }[]; Subject: string }[];
  };
  const confirmations = new Map<string, number>();
  for (const m of mail.messages) {
    const to = m.To[0]?.Address ?? '';
    if (m.Subject.endsWith('is confirmed')) confirmations.set(to, (confirmations.get(to) ?? 0) + 1);
  }

  const rows = [];
  for (const path of PATHS) {
    const mine = placed.filter((p) => p.path === path);
    const ids = mine.flatMap((p) => (p.orderId ? [p.orderId] : []));
    const committed = (await queryDb('orders', 'SELECT id FROM orders WHERE id = ANY($1::uuid[])', [ids])).length;
    const shipments = await queryDb(
      'shipping',
      'SELECT order_id, count(*)::int AS n FROM shipments WHERE order_id = ANY($1::uuid[]) GROUP BY order_id',
      [ids],
    );
    const emails = mine.filter((p) => p.orderId).map((p) => confirmations.get(p.email) ?? 0);
    rows.push({
      path,
      orders: mine.length,
      failedRequests: mine.length - ids.length,
      committed,
      lost: ids.filter((id) => !onTopic.has(id)).length,
      duplicatesOnTopic: ids.reduce((sum, id) => sum + Math.max(0, (onTopic.get(id) ?? 0) - 1), 0),
      withoutShipment: ids.length - shipments.length,
      withoutEmail: emails.filter((n) => n === 0).length,
      duplicateEffects:
        shipments.reduce((sum, s) => sum + s.n - 1, 0) + emails.reduce((sum, n) => sum + Math.max(0, n - 1), 0),
    });
  }

  say('▶ reconciled against the topic (from offset 0), the shipping database and the SMTP sink');
  const columns: [string, keyof (typeof rows)[number]][] = [
    ['path', 'path'],
    ['orders', 'orders'],
    ['committed', 'committed'],
    ['events lost', 'lost'],
    ['dup. on topic', 'duplicatesOnTopic'],
    ['no shipment', 'withoutShipment'],
    ['no email', 'withoutEmail'],
    ['dup. effects', 'duplicateEffects'],
  ];
  say(`  ${columns.map(([h], i) => (i === 0 ? h.padEnd(7) : h.padStart(h.length + 2))).join('')}`);
  for (const r of rows)
    say(
      `  ${columns.map(([h, k], i) => (i === 0 ? String(r[k]).padEnd(7) : String(r[k]).padStart(h.length + 2))).join('')}`,
    );
  const [naive, outbox] = rows;
  say();
  say(`naive: ${naive.committed} orders, ${naive.lost} events lost`);
  say(`outbox: ${outbox.committed} orders, ${outbox.lost} lost, ${outbox.duplicateEffects} duplicate effects`);
  say(`drill: naive_lost=${naive.lost} outbox_lost=${outbox.lost} outbox_duplicate_effects=${outbox.duplicateEffects}`);

  const problems = [
    ...(naive.lost === 0 ? ['the naive path lost nothing: the broker was not down while it placed orders'] : []),
    ...(outbox.lost > 0 || outbox.withoutShipment > 0 || outbox.withoutEmail > 0
      ? ['the outbox path lost events']
      : []),
    ...(outbox.duplicateEffects > 0 ? ['the outbox path caused duplicate effects'] : []),
    ...rows.filter((r) => r.failedRequests > 0).map((r) => `${r.path}: ${r.failedRequests} requests failed`),
  ];
  for (const p of problems) console.error(`drill failed: ${p}`);
  return problems.length === 0 ? 0 : 1;
}

/** Every message on the topic, from offset 0 to its current end. */
async function readWholeTopic(topic: string) {
  const admin = new Kafka({ clientId: 'drill', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  await admin.disconnect();
  const reader = await readTopic(topic);
  try {
    return await reader.waitFor(end, () => true, 60_000);
  } finally {
    await reader.stop();
  }
}

async function queryDb(database: string, sql: string, params: unknown[] = []) {
  const client = new Client(adminConnection(database));
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`drill: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
