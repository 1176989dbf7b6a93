import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource, QueryRunner } from 'typeorm';
import { ReadMessage, sleep, waitFor } from '@shop/infra';
import { event, idOf, kafka, nOf, useRelayTestBed } from '../../test/relay-test-bed';
import { KafkaJsPublisher } from '../kafkajs';
import { createOutboxPublicationSql, Outbox, OutboxEvent } from '../index';
import { OutboxMetrics } from '../prometheus';
import { OutboxLogicalRelay, OutboxLogicalRelayOptions } from './logical-relay';
import { dropSlot, slotState } from './replication-slot';

describe('OutboxLogicalRelay: the outbox read from the WAL (real PostgreSQL and Kafka)', () => {
  const bed = useRelayTestBed('logical_relay_it');
  const relays: OutboxLogicalRelay[] = [];
  let topic: string;
  let slotName: string;

  beforeAll(() => bed.ds.query(createOutboxPublicationSql()));
  beforeEach(() => {
    topic = `logical-it-${randomUUID()}`;
    slotName = `it_${randomUUID().slice(0, 8)}`;
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    // The server ends a stopped relay's walsender a moment after its connection closed.
    await waitFor('the slot released', async () => !(await slotState(bed.ds, slotName))?.active, 10_000);
    await dropSlot(bed.ds, slotName);
  });

  const newRelay = (options: Partial<OutboxLogicalRelayOptions> = {}) => {
    const o = bed.db.options;
    const relay = new OutboxLogicalRelay(bed.ds, new KafkaJsPublisher(kafka), {
      connection: { host: o.host, port: o.port, user: o.username, password: o.password, database: bed.db.name },
      slotName,
      topicFor: () => topic,
      standbyRetryMs: 100,
      retryBackoffMs: 20,
      maxRetryBackoffMs: 200,
      ...options,
    });
    relays.push(relay);
    return relay;
  };
  /** One partition: the tests read the order across aggregates, which one partition keeps. */
  const singlePartition = async (configEntries: { name: string; value: string }[] = []) => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }], waitForLeaders: true });
    await admin.disconnect();
  };
  const confirmedLsn = async () =>
    (
      await bed.ds.query('SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1', [
        slotName,
      ])
    )[0]?.lsn as string | undefined;
  const firstDeliveries = (messages: ReadMessage[]) => {
    const seen = new Set<string>();
    return messages.filter((m) => !seen.has(idOf(m)) && seen.add(idOf(m)));
  };

  it('publishes rows committed before and after its slot existed, marks them, and confirms the slot', async () => {
    const reader = await bed.newReader(topic);
    const before = [event('a', 1), event('b', 1)];
    await bed.commit(before);
    const relay = newRelay();
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    const lsnAtStart = await confirmedLsn();
    const after = Array.from({ length: 50 }, (_, n) => event(`agg-${n % 5}`, n + 2));
    for (const e of after) await bed.commit([e]);

    const messages = await reader.waitFor(52);
    const record = messages.find((m) => idOf(m) === after[0].id) as ReadMessage;
    expect(String(record.key)).toBe(after[0].aggregateId);
    expect(JSON.parse(String(record.value))).toEqual(after[0]);
    expect(record.headers?.type?.toString()).toBe('thing.happened.v1');
    expect(record.headers?.correlationId?.toString()).toBe('corr-2');
    expect(new Set(messages.map(idOf))).toEqual(new Set([...before, ...after].map((e) => e.id)));
    await waitFor('all rows marked', async () => (await bed.pending()) === 0, 10_000);
    await waitFor('the slot confirmed', async () => (await confirmedLsn()) !== lsnAtStart, 10_000);
  });

  it('keeps commit order: a long transaction committed last is published last', async () => {
    await singlePartition();
    const reader = await bed.newReader(topic);
    const relay = newRelay();
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    const long = bed.ds.createQueryRunner();
    await long.startTransaction();
    const early = event('same', 1);
    await bed.outbox.add(early, long.manager); // inserted first, committed last
    const later = [event('same', 2), event('other', 3)];
    await bed.commit(later);
    await sleep(300);
    expect(reader.messages.map(nOf)).toEqual([2, 3]);
    await long.commitTransaction();
    await long.release();
    const messages = await reader.waitFor(3);
    expect(messages.map(nOf)).toEqual([2, 3, 1]);
  });

  it('resumes from its slot: rows committed while it was stopped go out once after it restarts, none missing', async () => {
    await singlePartition();
    const reader = await bed.newReader(topic);
    const first = newRelay();
    await first.start();
    await waitFor('the slot streamed', async () => first.isLeader, 10_000);
    await bed.commit([event('r', 1)]);
    await reader.waitFor(1);
    await first.stop();
    const whileDown = Array.from({ length: 20 }, (_, n) => event('r', n + 2));
    for (const e of whileDown) await bed.commit([e]);
    expect((await slotState(bed.ds, slotName))?.active).toBe(false);
    expect((await slotState(bed.ds, slotName))?.lagBytes).toBeGreaterThan(0); // WAL held for the relay
    await newRelay().start();
    const messages = await reader.waitFor(21);
    expect(firstDeliveries(messages).map(nOf)).toEqual(Array.from({ length: 21 }, (_, n) => n + 1));
    // Its start-up pass publishes them from the table; their copies in the slot are skipped.
    const marker = event('r', 22);
    await bed.commit([marker]);
    await waitFor('the marker', async () => reader.messages.some((m) => idOf(m) === marker.id), 10_000);
    expect(reader.messages.map(idOf)).toHaveLength(22);
  });

  it('reports a stopped relay’s slot in OutboxMetrics: inactive, holding WAL, and for how long', async () => {
    const relay = newRelay();
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    await relay.stop();
    await waitFor('the slot released', async () => !(await slotState(bed.ds, slotName))?.active, 10_000);
    const registry = new Registry();
    new OutboxMetrics(registry, bed.admin);
    const gauge = async (name: string) =>
      (await registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.slot === slotName)?.value;
    await bed.commit([event('m', 1)]); // WAL the stopped relay has not confirmed
    expect(await gauge('outbox_replication_slot_active')).toBe(0);
    expect(await gauge('outbox_replication_slot_lag_seconds')).toBeLessThan(0.5); // the first scrape samples the WAL position
    await sleep(1_200);
    expect(await gauge('outbox_replication_slot_lag_bytes')).toBeGreaterThan(0);
    expect(await gauge('outbox_replication_slot_lag_seconds')).toBeGreaterThanOrEqual(1.2);
  });

  it('publishes again what it could not confirm: a failure after publish duplicates, never loses', async () => {
    await singlePartition();
    const reader = await bed.newReader(topic);
    let failOnce = true;
    const relay = newRelay({
      hooks: {
        afterPublish: () => {
          if (!failOnce) return;
          failOnce = false;
          throw new Error('killed after publish, before the slot was confirmed');
        },
      },
    });
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    const events = Array.from({ length: 10 }, (_, n) => event('d', n + 1));
    await bed.commit(events);
    await waitFor('a second delivery', async () => reader.messages.length >= 20, 15_000);
    expect(firstDeliveries(reader.messages).map(nOf)).toEqual(events.map((_, n) => n + 1));
    await waitFor('all rows marked', async () => (await bed.pending()) === 0, 10_000);
  });

  it('stops promptly while the stream is paused by back-pressure (a backlog it has not read)', async () => {
    const relay = newRelay({ batchSize: 1, hooks: { afterPublish: () => sleep(100) } });
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    for (let n = 1; n <= 200; n++) await bed.commit([event(`bp-${n % 4}`, n)]);
    await sleep(500); // more than 10 × batchSize rows queued: the relay stopped reading the socket
    const t0 = Date.now();
    await relay.stop();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('marks rows on a connection of its own: writers that hold the whole pool do not stall it', async () => {
    // A pool of two, as a busy service's would be: the writers hold what the relay leaves free.
    const pool = new DataSource({ type: 'postgres', ...bed.db.options, extra: { max: 2 } });
    await pool.initialize();
    const held: QueryRunner[] = [];
    try {
      const o = bed.db.options;
      const relay = new OutboxLogicalRelay(pool, new KafkaJsPublisher(kafka), {
        connection: { host: o.host, port: o.port, user: o.username, password: o.password, database: bed.db.name },
        slotName,
        topicFor: () => topic,
      });
      relays.push(relay);
      await relay.start();
      await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
      for (let i = 0; i < 2; i++) {
        const runner = pool.createQueryRunner();
        const connected = await Promise.race([runner.connect().then(() => true), sleep(500).then(() => false)]);
        if (!connected) break; // the relay holds the rest
        held.push(runner);
      }
      expect(held.length).toBeGreaterThan(0);
      const reader = await bed.newReader(topic);
      await bed.commit([event('busy', 1), event('busy', 2)]);
      await reader.waitFor(2);
      await waitFor('both rows marked', async () => (await bed.pending()) === 0, 10_000);
    } finally {
      await Promise.all(held.map((r) => r.release()));
      await Promise.all(relays.splice(0).map((r) => r.stop()));
      await pool.destroy();
    }
  });

  it('lets one relay stream the slot; a standby takes over when the leader stops', async () => {
    const reader = await bed.newReader(topic);
    const [a, b] = [newRelay(), newRelay()];
    await a.start();
    await waitFor('a leads', async () => a.isLeader, 10_000);
    await b.start();
    await sleep(500);
    expect(b.isLeader).toBe(false);
    await a.stop();
    await waitFor('b leads', async () => b.isLeader, 10_000);
    await bed.commit([event('s', 1)]);
    expect((await reader.waitFor(1)).map(nOf)).toEqual([1]);
  });

  it('publishes from an outbox that deletes its rows as it inserts them; the table stays empty', async () => {
    const reader = await bed.newReader(topic);
    const deleting = new Outbox({ notifyChannel: '', deleteAfterInsert: true });
    const relay = newRelay({ markPublished: false });
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    const events: OutboxEvent[] = Array.from({ length: 30 }, (_, n) => event(`e-${n % 3}`, n + 1));
    await bed.commit(events, deleting);
    expect(Number((await bed.ds.query('SELECT count(*) AS n FROM outbox'))[0].n)).toBe(0);
    const messages = await reader.waitFor(30);
    expect(messages.map(idOf).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('parks a record the broker refuses, with the later rows of its aggregate, and publishes the others', async () => {
    await singlePartition([{ name: 'max.message.bytes', value: '20000' }]);
    const reader = await bed.newReader(topic);
    const deleting = new Outbox({ notifyChannel: '', deleteAfterInsert: true });
    const relay = newRelay({ markPublished: false, maxAttempts: 2 });
    await relay.start();
    await waitFor('the slot streamed', async () => relay.isLeader, 10_000);
    const tooBig = event('x', 1, { blob: 'z'.repeat(50_000) });
    const heldBack = event('x', 2);
    await bed.commit([tooBig, heldBack, event('y', 3)], deleting);
    expect((await reader.waitFor(1)).map(nOf)).toEqual([3]);
    await waitFor('two rows parked', async () => (await bed.admin.listParked()).length === 2, 10_000);
    await sleep(300); // the parked rows' inserts reach the relay too, which must leave them alone
    const parked = await bed.admin.listParked();
    expect(parked.map((r) => [r.id, r.attempts])).toEqual([
      [tooBig.id, 2],
      [heldBack.id, 0],
    ]);
    expect(parked[0].last_error).toMatch(/larger than the max message size/);
    expect(parked[1].last_error).toMatch(/held back/);
    expect(reader.messages.filter((m) => String(m.key) === 'x')).toHaveLength(0);
  });
});
