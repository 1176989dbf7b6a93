/** What the drills share: placing orders, waiting for delivery, and counting what arrived. */
import { Kafka, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import {
  kafkaClient,
  queryAsAdmin as queryDb,
  readMailbox,
  readWholeTopic,
  serviceUrl,
  sleep,
  waitFor,
} from '@shop/infra';

export { queryDb, readWholeTopic };

export type Path = 'naive' | 'outbox';
const endpoints: Record<Path, string> = { naive: '/demo/naive-orders', outbox: '/orders' };

export interface Placed {
  path: Path;
  email: string;
  status: number | 'error';
  orderId?: string;
}

export interface DrillOptions {
  orders: number;
  /** Tags this run's orders (customer id, addresses) so they are told apart from others. */
  run: string;
}

export const say = (line = '') => console.log(line);

export const kafka = new Kafka({ clientId: 'drill', ...kafkaClient(), logLevel: logLevel.NOTHING });

/** One order over HTTP; a failed or refused request is kept, not thrown. */
export async function place(
  path: Path,
  email: string,
  run: string,
  baseUrl = serviceUrl('order-service'),
): Promise<Placed> {
  try {
    const res = await fetch(`${baseUrl}${endpoints[path]}`, {
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

/** The outbox path owes every order an event, a shipment and an email: waits until all are there. */
export async function waitForOutboxPath(placed: Placed[]): Promise<void> {
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
  // Room for a late duplicate (a redelivery after a failure) to show up in the counts.
  await sleep(3000);
}

export interface PathFigures {
  path: Path;
  orders: number;
  failedRequests: number;
  committed: number;
  lost: number;
  duplicatesOnTopic: number;
  withoutShipment: number;
  withoutEmail: number;
  duplicateEffects: number;
}

/**
 * Per path: orders committed (database), order.placed.v1 events on the topic (read from
 * offset 0, by order id), shipments (shipping database) and confirmation emails received
 * (SMTP sink). A duplicate effect is a second shipment or a second email for one order.
 */
export async function reconcile(placed: Placed[], paths: Path[]): Promise<PathFigures[]> {
  const onTopic = new Map<string, number>();
  for (const m of await readWholeTopic(ORDER_EVENTS_TOPIC))
    if (m.headers?.type?.toString() === 'order.placed.v1')
      onTopic.set(String(m.key), (onTopic.get(String(m.key)) ?? 0) + 1);
  const confirmations = new Map<string, number>();
  for (const m of (await readMailbox()).messages)
    if (m.Subject.endsWith('is confirmed'))
      confirmations.set(m.To[0]?.Address ?? '', (confirmations.get(m.To[0]?.Address ?? '') ?? 0) + 1);

  const rows: PathFigures[] = [];
  for (const path of paths) {
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
  printTable(
    ['path', 'orders', 'committed', 'events lost', 'dup. on topic', 'no shipment', 'no email', 'dup. effects'],
    rows.map((r) => [
      r.path,
      r.orders,
      r.committed,
      r.lost,
      r.duplicatesOnTopic,
      r.withoutShipment,
      r.withoutEmail,
      r.duplicateEffects,
    ]),
  );
  return rows;
}

/** First column left-aligned, the others right-aligned under their headings. */
export function printTable(headings: string[], rows: (string | number)[][]): void {
  const widths = headings.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]) =>
    `  ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i] + 2))).join('')}`;
  say(line(headings));
  for (const r of rows) say(line(r));
}
