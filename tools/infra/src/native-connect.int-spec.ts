import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { EventTap, TappedMessage, tapTopic } from './event-tap';
import {
  connectRunning,
  connectStatus,
  debeziumConnectors,
  debeziumRole,
  dropDebeziumSlots,
  startConnect,
  stopConnect,
} from './native-connect';
import { waitFor } from './process-utils';
import { INFRA_DIR, ROOT_DIR, serviceDatabases, settings } from './settings';
import { grantAcls } from './kafka-acls';

/**
 * Debezium (Kafka Connect + the PostgreSQL connector + the Outbox Event Router) against the
 * producers' real databases, `orders` and `shipping`, on the test run's PostgreSQL and Kafka.
 * The rows' aggregate types are this run's own, so their topics (outbox.event.<type>) are new
 * and no service subscribes to them.
 */
jest.setTimeout(180_000);

const run = randomUUID().slice(0, 8);
const producers = serviceDatabases.filter((d) => debeziumConnectors.some((c) => c.database === d.database));
const producer = (database: string) => {
  const db = producers.find((d) => d.database === database);
  if (!db) throw new Error(`no producer database ${database}`);
  return db;
};
const orders = producer('orders');
const shipping = producer('shipping');

type Db = (typeof producers)[number];
const connectAs = async (db: Db, user: string = db.role, password: string = db.password) => {
  const client = new Client({
    host: settings.host,
    port: settings.postgres.port,
    database: db.database,
    user,
    password,
  });
  await client.connect();
  return client;
};

async function asService<T = Record<string, unknown>>(db: Db, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = await connectAs(db);
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * What the services' migrations do, as the service's role; a database they migrated already is
 * left as is. The table's DDL is the library's generated sql/create-outbox-table.sql (the
 * library's own tests depend on this tool, so this tool does not import the library), and the
 * publication is CreateOutboxPublication1764000000010's statement.
 */
const migratedHere: Db[] = [];
async function migrateOutbox(db: Db): Promise<void> {
  const [{ exists }] = await asService<{ exists: boolean }>(
    db,
    `SELECT to_regclass('public.outbox') IS NOT NULL AS exists`,
  );
  if (exists) return;
  await asService(db, readFileSync(join(ROOT_DIR, 'libs/outbox/sql/create-outbox-table.sql'), 'utf8'));
  await asService(db, `CREATE PUBLICATION "outbox_publication" FOR TABLE "public"."outbox" WITH (publish = 'insert')`);
  migratedHere.push(db);
}

interface Row {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: Record<string, unknown>;
  headers: Record<string, string>;
}

const inserted: { db: Db; id: string }[] = [];

function row(aggregatetype: string, type: string, aggregateid: string = randomUUID()): Row {
  const id = randomUUID();
  return {
    id,
    aggregatetype,
    aggregateid,
    type,
    payload: { eventId: id, type, occurredAt: new Date().toISOString(), data: { aggregateid, note: 'ü & "quoted"' } },
    headers: { occurredAt: new Date().toISOString(), correlationId: randomUUID(), traceparent: `00-${run}-01` },
  };
}

async function insert(db: Db, r: Row, publishedAt: Date | null = null): Promise<void> {
  await asService(
    db,
    `INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload, headers, published_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [r.id, r.aggregatetype, r.aggregateid, r.type, JSON.stringify(r.payload), JSON.stringify(r.headers), publishedAt],
  );
  inserted.push({ db, id: r.id });
}

const withId = (id: string) => (m: TappedMessage) => m.headers.id === id;

/** The message Debezium published for a row: topic by aggregate type, key, value and headers. */
function expectPublished(m: TappedMessage, r: Row): void {
  expect(m.where).toMatch(new RegExp(`^outbox\\.event\\.${r.aggregatetype} partition`));
  expect(m.key).toBe(r.aggregateid);
  expect(JSON.parse(m.value.toString('utf8'))).toEqual(r.payload);
  expect(m.headers).toEqual({
    id: r.id,
    type: r.type,
    aggregateType: r.aggregatetype,
    aggregateId: r.aggregateid,
    // the row's headers jsonb as one header: the router cannot spread its keys
    headers: expect.any(String),
  });
  expect(JSON.parse(m.headers.headers)).toEqual(r.headers);
}

describe('Debezium relays the producers’ outbox tables to Kafka', () => {
  const orderType = `dbz_order_${run}`;
  const shipmentType = `dbz_shipment_${run}`;
  let orderTap: EventTap;
  let shipmentTap: EventTap;
  // Written before Connect's first start: one a relay has not published yet, one it has.
  const pending = row(orderType, 'OrderPlaced');
  const published = row(orderType, 'OrderPlaced');
  let startupMs = 0;

  beforeAll(async () => {
    // A first start: no slots and no offsets, so the connectors snapshot the tables.
    if (await connectRunning()) await stopConnect();
    await dropDebeziumSlots();
    for (const db of producers) await migrateOutbox(db);
    await insert(orders, pending);
    await insert(orders, published, new Date());
    // Connect may write only the topics it is granted: these are this run's own.
    await grantAcls([
      { user: 'connect', operation: 'WRITE', resource: 'topic', name: 'outbox.event.dbz_', pattern: 'prefixed' },
    ]);
    orderTap = await tapTopic(`outbox.event.${orderType}`);
    shipmentTap = await tapTopic(`outbox.event.${shipmentType}`);
    const t0 = Date.now();
    await startConnect();
    startupMs = Date.now() - t0;
  });

  afterAll(async () => {
    await orderTap?.stop();
    await shipmentTap?.stop();
    await stopConnect();
    await dropDebeziumSlots();
    for (const { db, id } of inserted) await asService(db, 'DELETE FROM public.outbox WHERE id = $1', [id]);
    // A table the service's own migration did not record would make that migration fail later.
    for (const db of migratedHere) await asService(db, 'DROP PUBLICATION outbox_publication; DROP TABLE public.outbox');
  });

  it('runs both connectors and their tasks', async () => {
    const { running, connectors } = await connectStatus();
    expect(running).toBe(true);
    for (const { name } of debeziumConnectors) {
      expect(connectors[name]?.state).toBe('RUNNING');
      expect(connectors[name]?.tasks.map((t) => t.state)).toEqual(['RUNNING']);
    }
    expect(startupMs).toBeLessThan(120_000);
    console.log(`Kafka Connect with both connectors RUNNING ${(startupMs / 1000).toFixed(1)}s after startConnect()`);
  });

  it('publishes the row left unpublished before its first start (snapshot), not the published one', async () => {
    const [m] = await orderTap.waitFor(1, withId(pending.id), 60_000);
    expectPublished(m, pending);
    // A row streamed after the snapshot for the published row's aggregate: same key, same
    // partition, so once it is there the published row would have been before it.
    const later = row(orderType, 'OrderConfirmed', published.aggregateid);
    await insert(orders, later);
    await orderTap.waitFor(1, withId(later.id), 60_000);
    const sameKey = orderTap.messages.filter((x) => x.key === published.aggregateid);
    expect(sameKey.map((x) => x.headers.id)).toEqual([later.id]);
  });

  it('streams new rows of both databases to outbox.event.<aggregatetype>, key, value and headers', async () => {
    const order = row(orderType, 'OrderPlaced');
    const shipment = row(shipmentType, 'ShipmentDispatched');
    await insert(orders, order);
    await insert(shipping, shipment);
    const [o] = await orderTap.waitFor(1, withId(order.id), 60_000);
    const [s] = await shipmentTap.waitFor(1, withId(shipment.id), 60_000);
    expectPublished(o, order);
    expectPublished(s, shipment);
  });

  it('publishes a row written while Connect was stopped once it runs again, and nothing twice', async () => {
    await stopConnect();
    expect(await connectRunning()).toBe(false);
    const whileDown = row(shipmentType, 'ShipmentDelivered');
    await insert(shipping, whileDown);
    await startConnect();
    const [m] = await shipmentTap.waitFor(1, withId(whileDown.id), 60_000);
    expectPublished(m, whileDown);
    // A marker behind it on the same key: once it is there, a replay would have been too.
    const marker = row(shipmentType, 'ShipmentDelivered', whileDown.aggregateid);
    await insert(shipping, marker);
    await shipmentTap.waitFor(1, withId(marker.id), 60_000);
    const ids = [...orderTap.messages, ...shipmentTap.messages].map((x) => x.headers.id);
    expect(ids.length).toBe(new Set(ids).size);
  });

  it('streams from its slot when its offsets are lost: a row deleted on insert meanwhile is not skipped', async () => {
    await stopConnect();
    rmSync(join(INFRA_DIR, 'connect', 'connect.offsets')); // as if killed before its first offset flush
    // Deleted in its inserting transaction, as the services do under Debezium: only the WAL has it.
    const lost = row(shipmentType, 'ShipmentDelivered');
    const client = await connectAs(shipping);
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload, headers) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          lost.id,
          lost.aggregatetype,
          lost.aggregateid,
          lost.type,
          JSON.stringify(lost.payload),
          JSON.stringify(lost.headers),
        ],
      );
      await client.query('DELETE FROM public.outbox WHERE id = $1', [lost.id]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    await startConnect();
    const [m] = await shipmentTap.waitFor(1, withId(lost.id), 60_000);
    expectPublished(m, lost);
  });

  it('keeps its slots moving while the outboxes are idle and the cluster writes elsewhere', async () => {
    const [{ lsn: from }] = await asService<{ lsn: string }>(orders, 'SELECT pg_current_wal_lsn()::text AS lsn');
    await asService(orders, `CREATE TABLE dbz_elsewhere_${run} AS SELECT g AS n FROM generate_series(1, 10000) g`);
    await asService(orders, `DROP TABLE dbz_elsewhere_${run}`);
    // No outbox row was written after `from`: only the heartbeat's logical decoding message
    // gives the connectors a position past it to confirm.
    await waitFor(
      'both Debezium slots confirmed past the idle period’s start',
      async () =>
        (
          await asService<{ n: number }>(
            orders,
            `SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = ANY($1) AND confirmed_flush_lsn > $2::pg_lsn`,
            [debeziumConnectors.map((c) => c.slot), from],
          )
        )[0].n === debeziumConnectors.length,
      45_000,
    );
  });

  it('lets the debezium role read the outbox tables and no business table', async () => {
    await asService(orders, `CREATE TABLE IF NOT EXISTS dbz_business_${run} (id int PRIMARY KEY)`);
    const client = await connectAs(orders, debeziumRole, settings.connect.debeziumPassword);
    try {
      await expect(client.query('SELECT count(*) FROM public.outbox')).resolves.toBeDefined();
      await expect(client.query(`SELECT * FROM dbz_business_${run}`)).rejects.toMatchObject({
        code: '42501', // insufficient_privilege
        message: `permission denied for table dbz_business_${run}`,
      });
    } finally {
      await client.end();
      await asService(orders, `DROP TABLE dbz_business_${run}`);
    }
  });
});
