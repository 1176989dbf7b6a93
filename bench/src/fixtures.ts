import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { Kafka, logLevel } from 'kafkajs';
import { adminConnection, createTestDatabase, kafkaClient, startService } from '@shop/infra';
import { CreateOutboxTable1764000000000, OutboxEvent } from '@transactional-outbox/outbox';
import { fixtures, ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { progress } from './report';
import { sleep } from './stats';

export const kafka = new Kafka({ clientId: 'bench', ...kafkaClient(), logLevel: logLevel.NOTHING });

/** The pool size the services use (service-kit postgres-options.ts). */
export const SERVICE_POOL_SIZE = 10;

export interface BenchDatabase {
  name: string;
  ds: DataSource;
  /** A second pool on the same database, e.g. for a relay that must not see the writers' commits. */
  connect(options?: Partial<DataSourceOptions>): Promise<DataSource>;
  drop(): Promise<void>;
}

/**
 * A throw-away database: empty with the outbox table, or a copy of a service database's
 * schema (`template`, e.g. `orders` after order-service ran its migrations), emptied.
 */
export async function benchDatabase(prefix: string, template?: 'orders'): Promise<BenchDatabase> {
  const db = await createTestDatabase(prefix);
  if (template) {
    await ensureMigrated(template);
    await db.drop();
    await admin('postgres', (c) => c.query(`CREATE DATABASE "${db.name}" TEMPLATE "${template}"`));
  }
  const pools: DataSource[] = [];
  const connect = async (options: Partial<DataSourceOptions> = {}) => {
    const ds = new DataSource({
      type: 'postgres',
      ...db.options,
      migrations: template ? [] : [CreateOutboxTable1764000000000],
      extra: { max: SERVICE_POOL_SIZE },
      ...options,
    } as DataSourceOptions);
    await ds.initialize();
    pools.push(ds);
    return ds;
  };
  const ds = await connect();
  if (template) {
    const tables: { tablename: string }[] = await ds.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
    );
    await ds.query(`TRUNCATE ${tables.map((t) => `"${t.tablename}"`).join(', ')}`);
  } else {
    await ds.runMigrations();
  }
  return {
    name: db.name,
    ds,
    connect,
    async drop() {
      await Promise.all(pools.map((p) => p.destroy()));
      await db.drop();
    },
  };
}

/** A service creates its schema as it starts (migrations): on fresh infrastructure, start it once. */
async function ensureMigrated(database: 'orders'): Promise<void> {
  const { rows } = await admin(database, (c) =>
    c.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = $1`, [database]),
  );
  if (rows[0].n > 0) return;
  progress(`${database}: order-service starts once to create its schema`);
  const service = await startService('order-service', {}, { until: 'live' });
  await service.stop();
}

/** Runs `fn` on a superuser connection to `database`. */
export async function admin<T>(database: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(adminConnection(database));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The cluster's WAL insert position, in bytes since 0/0. */
export const walPosition = async (): Promise<number> =>
  admin('postgres', async (c) => {
    const { rows } = await c.query(`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::float8 AS bytes`);
    return rows[0].bytes;
  });

export async function createTopic(prefix: string, partitions = 3): Promise<string> {
  const topic = `bench.${prefix}.${randomUUID().slice(0, 8)}`;
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await kafkaAdmin.disconnect();
  }
  return topic;
}

export async function deleteTopics(topics: string[]): Promise<void> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    await kafkaAdmin.deleteTopics({ topics });
  } finally {
    await kafkaAdmin.disconnect();
  }
}

/** An order as POST /orders takes it; the address is a placeholder, never a real one. */
export function orderRequest(customerId: string) {
  return {
    customerId,
    contactEmail: 'bench@example.test',
    currency: 'EUR',
    items: [
      { sku: 'BOOK-42', quantity: 2, unitPriceCents: 1999 },
      { sku: 'MUG-7', quantity: 1, unitPriceCents: 899 },
    ],
    shippingAddress: { line1: 'Benchstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  };
}

/** An order.placed.v1 event for a new order id, shaped like the contract's fixture. */
export function orderPlacedEvent(orderId = randomUUID()): OutboxEvent {
  const now = new Date().toISOString();
  const { data, ...envelope } = fixtures.orderPlacedV1;
  return {
    ...envelope,
    id: randomUUID(),
    aggregateId: orderId,
    occurredAt: now,
    correlationId: randomUUID(),
    data: { ...data, orderId, placedAt: now },
  };
}

/** Waits until the consumer groups have read the order events to their end, e.g. a previous run's backlog. */
export async function waitForConsumers(groups: string[]): Promise<void> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const ends = await kafkaAdmin.fetchTopicOffsets(ORDER_EVENTS_TOPIC);
      let lag = 0;
      for (const groupId of groups) {
        const [committed] = await kafkaAdmin.fetchOffsets({ groupId, topics: [ORDER_EVENTS_TOPIC] });
        for (const p of ends) {
          const done = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1);
          lag += Number(p.high) - (done < 0 ? Number(p.low) : done);
        }
      }
      if (lag === 0) return;
      if (Date.now() > deadline) throw new Error(`consumers still ${lag} messages behind after 10 min`);
      progress(`waiting for the consumers to catch up, ${lag} messages behind`);
      await sleep(2000);
    }
  } finally {
    await kafkaAdmin.disconnect();
  }
}

const DURABLE = { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } as const;

/** The bench measures against durable commits, as in production; it refuses any other cluster. */
export async function checkDurable(): Promise<string> {
  const seen = await admin('postgres', async (c) => {
    const values: Record<string, string> = {};
    for (const name of [...Object.keys(DURABLE), 'wal_sync_method', 'shared_buffers']) {
      values[name] = (await c.query(`SHOW ${name}`)).rows[0][name];
    }
    return values;
  });
  const wrong = Object.entries(DURABLE).filter(([name, value]) => seen[name] !== value);
  if (wrong.length > 0) {
    throw new Error(
      `PostgreSQL is not durable (${wrong.map(([n]) => `${n}=${seen[n]}`).join(', ')}): ` +
        'a cluster started by older code runs with fsync=off; restart it (npm run infra:down, then the bench)',
    );
  }
  return Object.entries(seen)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
}
