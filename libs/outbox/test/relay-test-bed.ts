/**
 * What the outbox's integration tests share: a database of their own with an outbox table
 * (any schema and table name), relays that publish to the real Kafka, topic readers, and
 * the jest hooks that clean them up.
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Kafka, logLevel } from 'kafkajs';
import { createTestDatabase, kafkaClient, readTopic, ReadMessage } from '@shop/infra';
import {
  createOutboxTableMigration,
  Outbox,
  OutboxAdmin,
  OutboxEvent,
  OutboxPublisher,
  OutboxRelay,
  OutboxRelayOptions,
  OutboxTableOptions,
} from '../src';
import { KafkaJsPublisher } from '../src/kafkajs';
import { outboxTable, quoteIdentifier } from '../src/outbox-table';

export const kafka = new Kafka({ clientId: 'outbox-it', ...kafkaClient(), logLevel: logLevel.NOTHING });

export const event = (aggregateId: string, n: number, data: Record<string, unknown> = {}): OutboxEvent => ({
  id: randomUUID(),
  type: 'thing.happened.v1',
  aggregateType: 'thing',
  aggregateId,
  occurredAt: new Date().toISOString(),
  correlationId: `corr-${n}`,
  data: { n, ...data },
});

export const nOf = (m: ReadMessage) => (JSON.parse(String(m.value)) as { data: { n: number } }).data.n;
export const idOf = (m: ReadMessage) => String(m.headers?.id);

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

export class RelayTestBed {
  db!: TestDatabase;
  ds!: DataSource;
  admin!: OutboxAdmin;
  /** Writes without NOTIFY: relays in these tests are woken in-process or poll. */
  readonly outbox: Outbox;
  private readonly relays: OutboxRelay[] = [];
  private readonly readers: { stop(): Promise<void> }[] = [];

  constructor(readonly table: OutboxTableOptions = {}) {
    this.outbox = new Outbox({ ...table, notifyChannel: '' });
  }

  /** postgres://… of the test database, for processes and the CLI. */
  get url(): string {
    const o = this.db.options;
    return `postgres://${o.username}:${o.password}@${o.host}:${o.port}/${this.db.name}`;
  }

  commit(events: OutboxEvent[], via = this.outbox, dataSource = this.ds): Promise<void> {
    return dataSource.transaction((manager) => via.add(events, manager));
  }

  async pending(): Promise<number> {
    return (await this.admin.stats()).pending;
  }

  /** A relay of its own name (so no other test's relay leads it), polling every 50 ms. */
  newRelay(options: OutboxRelayOptions = {}, publisher: Kafka | OutboxPublisher = kafka): OutboxRelay {
    const relay = new OutboxRelay(this.ds, publisher instanceof Kafka ? new KafkaJsPublisher(publisher) : publisher, {
      name: randomUUID(),
      pollIntervalMs: 50,
      ...this.table,
      ...options,
    });
    this.relays.push(relay);
    return relay;
  }

  async newReader(topic: string) {
    const reader = await readTopic(topic);
    this.readers.push(reader);
    return reader;
  }

  async setUp(prefix: string): Promise<void> {
    this.db = await createTestDatabase(prefix);
    this.ds = new DataSource({
      type: 'postgres',
      ...this.db.options,
      migrations: [createOutboxTableMigration(this.table)],
    });
    await this.ds.initialize();
    if (this.table.schema) await this.ds.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(this.table.schema)}`);
    await this.ds.runMigrations();
    this.admin = new OutboxAdmin(this.ds, this.table);
  }

  /** Stops relays and readers, and empties the table. */
  async clear(): Promise<void> {
    await Promise.all(this.relays.splice(0).map((r) => r.stop()));
    await Promise.all(this.readers.splice(0).map((r) => r.stop()));
    await this.ds.query(`TRUNCATE ${outboxTable(this.table).qualified}`);
  }

  async tearDown(): Promise<void> {
    await this.ds?.destroy();
    await this.db?.drop();
  }
}

/** A test bed set up before the file's tests, cleared after each, dropped after all. */
export function useRelayTestBed(prefix: string, table: OutboxTableOptions = {}): RelayTestBed {
  const bed = new RelayTestBed(table);
  beforeAll(() => bed.setUp(prefix));
  afterEach(() => bed.clear());
  afterAll(() => bed.tearDown());
  return bed;
}
