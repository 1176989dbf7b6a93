import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { createTestDatabase, sleep, waitFor } from '@shop/infra';
import { event, idOf, kafka, useRelayTestBed } from '../test/relay-test-bed';
import { runOutboxCli } from './cli/outbox-cli';
import { Outbox, OutboxRelay } from './index';
import { KafkaJsPublisher } from './kafkajs';
import { OutboxHealthIndicator, OutboxModule } from './nest';

const table = { schema: 'myschema', table: 'my_outbox' };

describe('outbox in myschema.my_outbox (real PostgreSQL and Kafka)', () => {
  // The database has no public.outbox: a statement that named it would fail.
  const bed = useRelayTestBed('outbox_table_it', table);
  const rows = async () => (await bed.ds.query('SELECT count(*)::int AS n FROM myschema.my_outbox'))[0].n;

  it('is written, published in order, woken, retained and vacuumed under its own name', async () => {
    expect(await bed.ds.query(`SELECT to_regclass('public.outbox') AS t`)).toEqual([{ t: null }]);
    const topic = `outbox-table-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const vacuums = async () =>
      (
        await bed.ds.query(`SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'myschema.my_outbox'::regclass`)
      )[0].vacuum_count;
    // A poll every 10 minutes: only the in-process wake-up explains a prompt publish.
    const retention = { retentionSeconds: 0, retentionIntervalMs: 500 };
    const relay = bed.newRelay({ topicFor: () => topic, pollIntervalMs: 600_000, ...retention });
    await relay.start();
    await waitFor('leadership', async () => relay.isLeader, 10_000);
    const outbox = new Outbox({ ...table, localRelay: relay });
    const events = Array.from({ length: 600 }, (_, i) => event(`agg-${i % 5}`, i));
    // Commits apart, so that the relay publishes often enough to move its scan frontier.
    for (let i = 0; i < events.length; i += 50) {
      await bed.commit(events.slice(i, i + 50), outbox);
      await sleep(60);
    }

    const messages = await reader.waitFor(600, () => true, 20_000);
    for (let a = 0; a < 5; a++) {
      const ns = messages.filter((m) => String(m.key) === `agg-${a}`).map((m) => JSON.parse(String(m.value)).data.n);
      expect(ns).toEqual(events.filter((e) => e.aggregateId === `agg-${a}`).map((e) => (e.data as { n: number }).n));
    }
    expect(new Set(messages.map(idOf))).toEqual(new Set(events.map((e) => e.id)));
    // Retention runs in the relay's loop, which now sleeps for the poll: wake it.
    await waitFor('retention emptied the table', async () => (relay.wake(), (await rows()) === 0), 10_000);
    await waitFor('a vacuum followed', async () => Number(await vacuums()) > 0, 10_000);
    expect(BigInt(relay.scanFrom)).toBeGreaterThan(0n);
  }, 60_000);

  it('wakes its relay from another process on the channel named after the table', async () => {
    const topic = `outbox-table-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const relay = bed.newRelay({ topicFor: () => topic, pollIntervalMs: 600_000 });
    await relay.start();
    await waitFor('leadership', async () => relay.isLeader, 10_000);
    await sleep(200); // the first (empty) pass is over; the relay sleeps
    const other = new DataSource({ type: 'postgres', ...bed.db.options });
    await other.initialize();
    const remote = event('remote', 1);
    try {
      await bed.commit([remote], new Outbox(table), other); // NOTIFY "myschema.my_outbox"
    } finally {
      await other.destroy();
    }
    await reader.waitFor(1, (m) => idOf(m) === remote.id, 10_000);
  });

  it('parks a refused record, which the CLI lists and re-queues with --schema and --table', async () => {
    const e = event('parked', 1);
    await bed.commit([e]);
    // A topic name Kafka refuses: the record is at fault, not the broker.
    const relay = bed.newRelay({ topicFor: () => 'not a valid topic name!', maxAttempts: 1 });
    expect(await relay.relayBatch()).toBe(0);
    expect(await bed.admin.stats()).toMatchObject({ pending: 0, parked: 1 });

    const out: string[] = [];
    const cli = (...args: string[]) =>
      runOutboxCli([...args, '--schema', 'myschema', '--table', 'my_outbox'], bed.url, (l) => void out.push(l));
    expect(await cli('parked')).toBe(0);
    expect(out[0]).toContain(e.id);
    expect(await cli('requeue', '--all')).toBe(0);
    expect(out[1]).toBe('requeued 1 row(s)');
    expect(await bed.admin.stats()).toMatchObject({ pending: 1, parked: 0 });
  });

  it('runs in OutboxModule with a DataSource and a Kafka client of the application', async () => {
    const topic = `outbox-table-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const app = await NestFactory.createApplicationContext(
      OutboxModule.forRootAsync({
        useFactory: () => ({
          ...table,
          publisher: new KafkaJsPublisher(kafka),
          dataSource: bed.ds,
          relay: { name: randomUUID(), topicFor: () => topic },
        }),
      }),
      { logger: false },
    );
    try {
      await app.init();
      const e = event('nest', 1);
      await bed.commit([e], app.get(Outbox));
      await reader.waitFor(1, (m) => idOf(m) === e.id, 10_000);
      await waitFor('marked', async () => (await bed.pending()) === 0, 5_000);
      expect(app.get(OutboxRelay).isLeader).toBe(true);
      const health = await app.get(OutboxHealthIndicator).check();
      expect(health.outbox).toMatchObject({ status: 'up', pending: 0, parked: 0 });

      // The module installed the pg error listener: a session ended while checked out
      // outside TypeORM (no listener of its own) does not crash the process.
      const pool = (bed.ds.driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
      const client = await pool.connect();
      try {
        expect(client.listenerCount('error')).toBe(1);
        const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows;
        await bed.ds.query('SELECT pg_terminate_backend($1)', [pid]);
        await sleep(500); // the error event arrives with no query in flight
        await expect(client.query('SELECT 1')).rejects.toThrow();
      } finally {
        client.release(true);
      }
    } finally {
      await app.close();
    }
  });

  it('ships a SQL file that creates the same table as the migration', async () => {
    const db = await createTestDatabase('outbox_sql_file_it');
    const ds = new DataSource({ type: 'postgres', ...db.options });
    try {
      await ds.initialize();
      await ds.query(readFileSync(join(__dirname, '../sql/create-outbox-table.sql'), 'utf8'));
      const shape = (d: DataSource, schema: string, name: string) =>
        d.query(
          `SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns
            WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
          [schema, name],
        );
      const indexes = async (d: DataSource, schema: string, name: string) =>
        (
          await d.query('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [
            schema,
            name,
          ])
        ).map((r: { indexdef: string }) =>
          r.indexdef.replaceAll(`${schema}.${name}`, 'T').replace(/INDEX \S+/, 'INDEX'),
        );
      expect(await shape(ds, 'public', 'outbox')).toEqual(await shape(bed.ds, 'myschema', 'my_outbox'));
      expect(await indexes(ds, 'public', 'outbox')).toEqual(await indexes(bed.ds, 'myschema', 'my_outbox'));
      expect(await indexes(ds, 'public', 'outbox')).toHaveLength(5); // primary key, seq, and three of our own
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});

interface PgClient {
  query(sql: string): Promise<{ rows: { pid: number }[] }>;
  listenerCount(event: string): number;
  release(destroy: boolean): void;
}
