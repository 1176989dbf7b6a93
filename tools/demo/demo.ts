/**
 * `npm run demo`: infrastructure up, the three services up, sample orders placed, one
 * dispatched, one cancelled, and a timeline per order showing every hop. Everything keeps
 * running until Ctrl-C, which stops what the demo started (`--exit` stops after the timeline);
 * a service that crashes or is killed meanwhile is reported and restarted. `--broker rabbitmq`
 * runs the services on RabbitMQ instead of Kafka (as BROKER=rabbitmq does); `--relay logical`
 * or `--relay debezium` publishes the outboxes from the WAL instead of polling (RELAY_MODE).
 * Zipkin runs beside them so that each order's trace can be opened from the dashboard;
 * `--no-traces` leaves it out (the services then load no tracing SDK).
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import {
  adminConnection,
  connectUrl,
  describeEndpoints,
  stopStarted,
  infraUp,
  logDir,
  mailApiUrl,
  EventTap,
  operatorAuthorization,
  serviceNames,
  serviceUrl,
  settings,
  startConnect,
  startService,
  stopConnect,
  SupervisedService,
  supervise,
  tapTopic,
  TappedMessage,
  waitFor,
  zipkinRunning,
  zipkinUrl,
} from '@shop/infra';
import { dashboardUrl, startDemoDashboard } from '@shop/demo-dashboard';
import { showTrustBoundaries } from './trust-boundaries';

const say = (line = '') => console.log(line);
const exitAfterTimeline = process.argv.includes('--exit');
const brokerOption = process.argv.indexOf('--broker');
// Before anything reads settings.broker: infra, the services' environment and the taps follow it.
if (brokerOption >= 0) process.env.BROKER = process.argv[brokerOption + 1];
const relayOption = process.argv.indexOf('--relay');
if (relayOption >= 0) process.env.RELAY_MODE = process.argv[relayOption + 1];
const relayMode = process.env.RELAY_MODE || 'polling';
if (!['polling', 'logical', 'debezium'].includes(relayMode))
  throw new Error(`--relay (RELAY_MODE) must be polling, logical or debezium, got "${relayMode}"`);
if (relayMode === 'debezium' && (process.env.BROKER || 'kafka') !== 'kafka')
  throw new Error('--relay debezium needs Kafka: Kafka Connect publishes to Kafka only');

const customers = [
  {
    name: 'ada',
    city: 'Berlin',
    country: 'DE',
    postalCode: '10115',
    items: [{ sku: 'BOOK-42', quantity: 2, unitPriceCents: 1999 }],
    then: 'dispatch',
  },
  {
    name: 'grace',
    city: 'Paris',
    country: 'FR',
    postalCode: '75001',
    items: [{ sku: 'MUG-7', quantity: 1, unitPriceCents: 899 }],
    then: 'cancel',
  },
  {
    name: 'linus',
    city: 'Helsinki',
    country: 'FI',
    postalCode: '00100',
    items: [{ sku: 'PEN-1', quantity: 3, unitPriceCents: 150 }],
    then: 'wait',
  },
] as const;

interface Hop {
  at: Date;
  what: string;
}
interface Shipment {
  id: string;
  status: string;
  trackingNumber: string | null;
  createdAt: string;
  dispatchedAt: string | null;
  cancelledAt: string | null;
}
interface Email {
  kind: string;
  messageId: string;
  status: string;
  sentAt: string | null;
}

async function main() {
  say(`▶ infrastructure (the services' broker: ${settings.broker}; relay: ${relayMode})`);
  const zipkin = !process.argv.includes('--no-traces');
  // serviceEnv() reads it: the services started below export their spans (either infra mode).
  if (zipkin) process.env.INFRA_ZIPKIN = '1';
  const { started } = await infraUp({ zipkin });
  for (const line of describeEndpoints({ zipkin })) say(`  ${line}`);

  const services: SupervisedService[] = [];
  let dashboard: { close(): Promise<void> } | undefined;
  // Holds the process open until Ctrl-C even when no service is left running.
  const keepAlive = setInterval(() => undefined, 60_000);
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    say('\n▶ stopping services…');
    await dashboard?.close();
    await Promise.all(services.map((s) => s.stop()));
    if (relayMode === 'debezium') await stopConnect();
    if (started.length > 0) {
      say(`▶ stopping the infrastructure the demo started (${started.join(', ')})…`);
      await stopStarted(started);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => void stopAll().then(() => process.exit(0)));
  const report = (line: string) => say(`  ${new Date().toISOString().slice(11, 19)}  ${line}`);
  try {
    say(`\n▶ services (logs in ${logDir})`);
    for (const name of serviceNames) {
      const t0 = Date.now();
      if (process.stdout.isTTY) process.stdout.write(`  ${name.padEnd(17)} starting…\r`);
      services.push(supervise(await startService(name), { say: report }));
      say(`  ${name.padEnd(17)} ${serviceUrl(name)}  ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    }
    if (relayMode === 'debezium') {
      // After the services: Debezium reads the outbox tables their migrations created.
      const t0 = Date.now();
      await startConnect();
      say(
        `  ${'kafka connect'.padEnd(17)} ${connectUrl()}  Debezium connectors running in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
      );
    }
    // With drills, since it runs here; not with --exit, which nobody would have time to open.
    if (!exitAfterTimeline) {
      const t0 = Date.now();
      try {
        dashboard = await startDemoDashboard(new Map(serviceNames.map((n, i) => [n, services[i]])), report);
        say(`  ${'dashboard'.padEnd(17)} ${dashboardUrl()}  ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      } catch (err) {
        // The demo's point is the timeline; a taken port (INFRA_DASHBOARD_PORT moves it) should not stop it.
        say(`  ${'dashboard'.padEnd(17)} not started: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    // Tapped before the first order: RabbitMQ keeps nothing for a queue bound later.
    const taps = { orders: await tapTopic(ORDER_EVENTS_TOPIC), shipments: await tapTopic(SHIPMENT_EVENTS_TOPIC) };
    try {
      const orderIds = await runScenario();
      for (const [i, orderId] of orderIds.entries()) await printTimeline(orderId, customers[i].name, taps);
      await showTrustBoundaries(say);
    } finally {
      await Promise.all([taps.orders.stop(), taps.shipments.stop()]);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  if (exitAfterTimeline) {
    await stopAll();
    return;
  }
  say('\n▶ running — try:');
  if (dashboard) say(`  dashboard       ${dashboardUrl()}  live flows, gauges, drills; log in with OPERATOR_TOKEN`);
  say(`  API docs        ${serviceUrl('order-service')}/docs`);
  // Listing is an operator action: the curl lines name the token's variable, never its value.
  const auth = '-H "Authorization: Bearer $OPERATOR_TOKEN"';
  say(`  orders          curl -s ${auth} ${serviceUrl('order-service')}/orders`);
  say(`  shipments       curl -s ${auth} ${serviceUrl('shipping-service')}/shipments`);
  say(`  emails          curl -s ${auth} ${serviceUrl('email-service')}/emails`);
  say(
    process.env.OPERATOR_TOKEN
      ? '  OPERATOR_TOKEN  the one in your environment, which the services were started with'
      : `  OPERATOR_TOKEN  export OPERATOR_TOKEN=${settings.operatorToken}  (the development default)`,
  );
  say(`  mail received   ${mailApiUrl()}/`);
  if (await zipkinRunning()) say(`  traces          ${zipkinUrl()}/zipkin/  (one per order)`);
  say('  Ctrl-C stops everything the demo started; a service that dies meanwhile is restarted.');
}

async function runScenario(): Promise<string[]> {
  say('\n▶ placing sample orders');
  const orderIds: string[] = [];
  for (const c of customers) {
    const res = await post(
      `${serviceUrl('order-service')}/orders`,
      {
        customerId: c.name,
        contactEmail: `${c.name}@example.com`,
        items: c.items,
        shippingAddress: { line1: 'Main Street 1', city: c.city, postalCode: c.postalCode, country: c.country },
      },
      { 'x-correlation-id': `demo-${c.name}-${randomUUID().slice(0, 8)}` },
    );
    say(`  POST /orders (${c.name}) → ${res.status}  order ${res.body.id}`);
    orderIds.push(res.body.id as string);
  }
  process.stdout.write('  waiting for shipping to schedule the shipments…');
  for (const id of orderIds)
    await waitFor('shipment scheduled', async () => (await shipmentOf(id))?.status === 'SCHEDULED', 30_000);
  say(' done');

  const shipment = await shipmentOf(orderIds[0]);
  const dispatched = await post(
    `${serviceUrl('shipping-service')}/shipments/${shipment?.id}/dispatch`,
    { carrier: 'DHL' },
    operatorAuthorization(),
  );
  say(
    `  POST /shipments/${shipment?.id}/dispatch (ada) → ${dispatched.status}  tracking ${dispatched.body.trackingNumber}`,
  );
  const cancelled = await post(
    `${serviceUrl('order-service')}/orders/${orderIds[1]}/cancel`,
    { reason: 'changed my mind' },
    operatorAuthorization(),
  );
  say(`  POST /orders/${orderIds[1]}/cancel (grace) → ${cancelled.status}`);

  process.stdout.write('  waiting for the emails…');
  const expected = [2, 2, 1];
  for (const [i, id] of orderIds.entries()) {
    await waitFor(
      'emails sent',
      async () => (await emailsOf(id)).filter((e) => e.status === 'SENT').length >= expected[i],
      30_000,
    );
  }
  say(' done');
  return orderIds;
}

async function printTimeline(orderId: string, customer: string, taps: { orders: EventTap; shipments: EventTap }) {
  const hops: Hop[] = [];
  const db = new Client(adminConnection('orders'));
  await db.connect();
  try {
    const { rows } = await db.query(
      'SELECT type, created_at, published_at FROM outbox WHERE aggregateid = $1 ORDER BY seq',
      [orderId],
    );
    for (const r of rows) {
      hops.push({
        at: r.created_at,
        what: `order-service     committed the order change + outbox row ${r.type} in one transaction`,
      });
      if (r.published_at)
        hops.push({
          at: r.published_at,
          what: `order-service     relay marked ${r.type} published after the broker's ack`,
        });
    }
  } finally {
    await db.end();
  }
  const published = await messagesFor(taps.orders, (m) => m.key === orderId);
  for (const m of published) hops.push(brokerHop(m));
  // Under Debezium the rows are deleted as they are inserted: the commit time is the envelope's.
  if (relayMode === 'debezium')
    for (const m of published)
      hops.push({
        at: new Date((JSON.parse(m.value.toString('utf8')) as { occurredAt: string }).occurredAt),
        what: `order-service     committed the order change + outbox row ${m.headers.type} (deleted in the same transaction; Debezium reads the WAL)`,
      });
  const s = await shipmentOf(orderId);
  if (s) {
    hops.push({
      at: new Date(s.createdAt),
      what: 'shipping-service  shipment SCHEDULED (inbox row in the same transaction)',
    });
    if (s.dispatchedAt)
      hops.push({
        at: new Date(s.dispatchedAt),
        what: `shipping-service  shipment DISPATCHED, tracking ${s.trackingNumber}, event through its own outbox`,
      });
    if (s.cancelledAt)
      hops.push({
        at: new Date(s.cancelledAt),
        what: 'shipping-service  shipment CANCELLED: it will never be dispatched',
      });
    for (const m of await messagesFor(taps.shipments, (m) => m.key === s.id, s.dispatchedAt ? 1 : 0))
      hops.push(brokerHop(m));
  }
  for (const e of await emailsOf(orderId)) {
    if (e.sentAt)
      hops.push({
        at: new Date(e.sentAt),
        what: `email-service     ${e.kind} sent over SMTP, Message-ID <${e.messageId}>`,
      });
  }
  const order = (await (await fetch(`${serviceUrl('order-service')}/orders/${orderId}`)).json()) as { status: string };

  hops.sort((a, b) => a.at.getTime() - b.at.getTime());
  const t0 = hops[0].at.getTime();
  say(`\n▶ order ${orderId} (${customer}) — now ${order.status}`);
  for (const hop of hops)
    say(`  ${hop.at.toISOString().slice(11, 23)}  +${String(hop.at.getTime() - t0).padStart(5)} ms  ${hop.what}`);
}

/**
 * Kafka's hop is the record's timestamp and offset; RabbitMQ has neither, so its hop is when
 * the demo's own queue on the exchange received the message.
 */
function brokerHop(m: TappedMessage): Hop {
  if (settings.broker === 'kafka') return { at: m.at, what: `kafka             ${m.headers.type} on ${m.where}` };
  return { at: m.at, what: `rabbitmq          ${m.headers.type} routed by ${m.where} (seen by the demo's queue)` };
}

async function messagesFor(tap: EventTap, match: (m: TappedMessage) => boolean, atLeast = 1) {
  if (atLeast > 0) await tap.waitFor(atLeast, match, 30_000);
  else await new Promise((r) => setTimeout(r, 500));
  return tap.messages.filter(match);
}

async function shipmentOf(orderId: string): Promise<Shipment | undefined> {
  return (await getJson<Shipment[]>(`${serviceUrl('shipping-service')}/shipments?orderId=${orderId}`))[0];
}

function emailsOf(orderId: string): Promise<Email[]> {
  return getJson<Email[]>(`${serviceUrl('email-service')}/emails?orderId=${orderId}`);
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The demo's GETs are the operator's lists. */
async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: operatorAuthorization() });
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
  return (await res.json()) as T;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
