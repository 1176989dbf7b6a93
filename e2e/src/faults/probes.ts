import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { orderPlacedV1 } from '@shop/contracts';
import { queryAsAdmin as queryDb } from '@shop/infra';

/** Readiness and diagnostics of one service, with how long each took to answer. */
export async function timedHealth(url: string) {
  const timed = async (path: string) => {
    const t0 = Date.now();
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(60_000) });
    return { status: res.status, body: (await res.json()) as Diagnostics, ms: Date.now() - t0 };
  };
  const [ready, diagnostics] = await Promise.all([timed('/health/ready'), timed('/health/diagnostics')]);
  const details = diagnostics.body.details;
  return {
    ready: ready.status,
    readyMs: ready.ms,
    diagnostics: diagnostics.status,
    diagnosticsMs: diagnostics.ms,
    status: diagnostics.body.status,
    kafka: details?.kafka?.status,
    rabbitmq: details?.rabbitmq?.status,
    inbox: details?.inbox?.status,
  };
}

interface Diagnostics {
  status: string;
  details?: Record<string, { status: string }>;
}

/** Work not done yet: unpublished outbox rows in both producers, unsent emails. */
export async function pendingEverywhere(): Promise<number> {
  return Object.values(await pendingByPlace()).reduce((sum, n) => sum + n, 0);
}

export async function pendingByPlace(): Promise<Record<string, number>> {
  const [[orders], [shipping], [email]] = await Promise.all([
    queryDb('orders', 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'),
    queryDb('shipping', 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'),
    queryDb('email', "SELECT count(*)::int AS n FROM outgoing_emails WHERE status = 'PENDING'"),
  ]);
  return { 'orders.outbox': orders.n, 'shipping.outbox': shipping.n, 'email.pending': email.n };
}

/** Outbox rows not yet published, in one service's database. */
export async function pendingOutbox(database = 'orders'): Promise<number> {
  return (await queryDb(database, 'SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL'))[0].n;
}

/**
 * Begins a transaction with an order and its outbox row, as order-service writes them, and
 * leaves it open. With `deleteAfterInsert` the row is deleted again in it, as under Debezium.
 */
export async function holdOrderTransaction(client: Client, email: string, deleteAfterInsert = false) {
  const orderId = randomUUID();
  const placedAt = new Date().toISOString();
  const items = [{ sku: 'FAULT-1', quantity: 1, unitPriceCents: 100 }];
  const address = { line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' };
  const data = orderPlacedV1.schema.parse({
    orderId,
    customerId: 'fault-held',
    contactEmail: email,
    items,
    totalCents: 100,
    currency: 'EUR',
    shippingAddress: address,
    placedAt,
  });
  const event = {
    id: randomUUID(),
    type: orderPlacedV1.type,
    aggregateType: orderPlacedV1.aggregateType,
    aggregateId: orderId,
    occurredAt: placedAt,
    correlationId: randomUUID(),
    data,
  };
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO orders (id, customer_id, contact_email, status, lines, total_cents, currency, shipping_address, placed_at)
     VALUES ($1, 'fault-held', $2, 'PLACED', $3::jsonb, 100, 'EUR', $4::jsonb, $5)`,
    [orderId, email, JSON.stringify(items), JSON.stringify(address), placedAt],
  );
  const [{ seq }] = (
    await client.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, headers)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb) RETURNING seq::int`,
      [
        event.id,
        event.aggregateType,
        orderId,
        event.type,
        JSON.stringify(event),
        JSON.stringify({ occurredAt: placedAt, correlationId: event.correlationId }),
      ],
    )
  ).rows;
  if (deleteAfterInsert) await client.query('DELETE FROM outbox WHERE id = $1', [event.id]);
  return { orderId, email, seq: seq as number };
}
