import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { sleep, waitFor } from '@shop/infra';
import { event, idOf, kafka, nOf, useRelayTestBed } from '../test/relay-test-bed';
import { Outbox, outboxSql } from './index';
import { OutboxMetrics } from './prometheus';

describe('OutboxRelay: wake-ups, order and throughput (real PostgreSQL and Kafka)', () => {
  const bed = useRelayTestBed('relay_order_it');

  it('wakes on commit: in-process when it leads here, by NOTIFY from another process', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const registry = new Registry();
    // A poll every 10 minutes: only a wake-up can explain a prompt publish.
    const relay = bed.newRelay({
      topicFor: () => topic,
      pollIntervalMs: 600_000,
      metrics: new OutboxMetrics(registry, bed.admin),
    });
    await relay.start();
    await waitFor('leadership', async () => relay.isLeader, 10_000);
    await sleep(200); // the relay's first (empty) pass is over; it now sleeps

    const inProcess = event('a', 1);
    await bed.commit([inProcess], new Outbox({ localRelay: relay }));
    await reader.waitFor(1, (m) => idOf(m) === inProcess.id, 10_000);

    // Another process: its own connection pool, no relay of its own, so it NOTIFYs.
    const other = new DataSource({ type: 'postgres', ...bed.db.options });
    await other.initialize();
    const remote = event('b', 1);
    try {
      await bed.commit([remote], new Outbox(), other);
    } finally {
      await other.destroy();
    }
    await reader.waitFor(1, (m) => idOf(m) === remote.id, 10_000);

    const metrics = await registry.getMetricsAsJSON();
    const published = metrics.find((m) => m.name === 'outbox_published_total');
    expect(published?.values[0].value).toBe(2);
    expect(await bed.pending()).toBe(0);
  });

  it('keeps each aggregate in commit order with three relays, across a leader change', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const name = randomUUID();
    const trio = [0, 1, 2].map(() => bed.newRelay({ name, topicFor: () => topic, batchSize: 40, standbyRetryMs: 100 }));
    await Promise.all(trio.map((r) => r.start()));
    const aggregates = Array.from({ length: 20 }, () => randomUUID());
    const rounds = 25;
    let leadersSeen = 0;
    for (let n = 0; n < rounds; n++) {
      await Promise.all(aggregates.map((a) => bed.commit([event(a, n)])));
      leadersSeen = Math.max(leadersSeen, trio.filter((r) => r.isLeader).length);
      if (n === 10) {
        const leader = trio.find((r) => r.isLeader);
        await leader?.stop(); // the standbys take over
      }
    }
    await waitFor('all published', async () => (await bed.pending()) === 0, 60_000);
    const messages = await reader.waitFor(aggregates.length * rounds);

    expect(leadersSeen).toBe(1);
    for (const a of aggregates) {
      const firstSeen: number[] = [];
      for (const m of messages.filter((x) => String(x.key) === a))
        if (!firstSeen.includes(nOf(m))) firstSeen.push(nOf(m));
      expect(firstSeen).toEqual(Array.from({ length: rounds }, (_, i) => i));
    }
  });

  it('publishes a row whose transaction commits long after rows with higher seq', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const late = event('late', 0);
    const slow = bed.ds.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    await bed.outbox.add(late, slow.manager); // takes the lowest seq, stays uncommitted

    const relay = bed.newRelay({ topicFor: () => topic });
    await relay.start();
    await Promise.all(Array.from({ length: 200 }, (_, i) => bed.commit([event(`busy-${i % 10}`, i)])));
    await reader.waitFor(200);
    expect(reader.messages.some((m) => idOf(m) === late.id)).toBe(false);

    await slow.commitTransaction();
    await slow.release();
    await reader.waitFor(1, (m) => idOf(m) === late.id, 10_000);
    const [{ seq }] = await bed.ds.query('SELECT seq FROM outbox WHERE id = $1', [late.id]);
    const [{ min }] = await bed.ds.query('SELECT min(seq) FROM outbox WHERE id <> $1', [late.id]);
    expect(BigInt(seq)).toBeLessThan(BigInt(min));
  });

  it('scans from a frontier past published rows while a snapshot holds the xmin horizon, never past a late row', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const relay = bed.newRelay({ topicFor: () => topic });
    // Batches 60 ms apart: the relay moves its frontier at most every 50 ms.
    const drain = async () => {
      while ((await relay.relayBatch()) > 0) await sleep(60);
    };
    // Buffers the claim touches from a given seq, as the server counts them.
    const claimBuffers = async (from: string) => {
      const [{ 'QUERY PLAN': plan }] = await bed.ds.query(
        `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${outboxSql().claim}`,
        [500, [], from, '{}'],
      );
      return plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks'];
    };
    // A transaction with a snapshot and an xid that writes no event (a report, a session
    // idle in transaction): while it lives, no dead row can be removed.
    const holder = bed.ds.createQueryRunner();
    await holder.connect();
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await holder.query('SELECT pg_current_xact_id()');
    const late = event('late', 0);
    const slow = bed.ds.createQueryRunner();
    await slow.connect();
    try {
      await slow.startTransaction();
      await bed.outbox.add(late, slow.manager); // takes a seq and stays open
      const [{ seq: lateSeq }] = await slow.query('SELECT seq FROM outbox WHERE id = $1', [late.id]);
      for (let i = 0; i < 20; i++)
        await bed.commit(Array.from({ length: 100 }, (_, j) => event(`a-${j % 10}`, i * 100 + j)));
      await drain();
      await drain(); // the frontier moves once the marks it waits for have run
      expect(BigInt(relay.scanFrom)).toBeLessThanOrEqual(BigInt(lateSeq));

      await slow.commitTransaction();
      for (let i = 0; i < 30; i++) await bed.commit(Array.from({ length: 100 }, (_, j) => event(`b-${j % 10}`, j)));
      await drain();
      await drain();
      expect(await bed.pending()).toBe(0);
      const reader = await bed.newReader(topic);
      await reader.waitFor(5001);
      expect(reader.messages.filter((m) => idOf(m) === late.id)).toHaveLength(1);
      // Past the late row and the 2,000 before it, whose dead index entries the holder keeps
      // (it trails the last published row by the few batches its checks take).
      expect(BigInt(relay.scanFrom)).toBeGreaterThan(BigInt(lateSeq) + 2000n);
      const fromHead = await claimBuffers('0');
      const fromFrontier = await claimBuffers(relay.scanFrom);
      expect(fromHead).toBeGreaterThan(100);
      expect(fromFrontier).toBeLessThan(fromHead / 20);
    } finally {
      if (slow.isTransactionActive) await slow.rollbackTransaction();
      await slow.release();
      await holder.query('ROLLBACK');
      await holder.release();
    }
  });

  it('drains 100,000 rows under sustained writes while retention keeps the table small', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const relay = bed.newRelay({
      topicFor: () => topic,
      batchSize: 1000,
      retentionSeconds: 0,
      retentionIntervalMs: 100,
    });
    await relay.start();
    const chunk = 2000;
    let largestTable = 0;
    for (let i = 0; i < 50; i++) {
      await bed.commit(Array.from({ length: chunk }, (_, j) => event(`agg-${j % 50}`, i * chunk + j)));
      // Writers a little ahead of the relay, as under steady load.
      await waitFor('relay keeps up', async () => (await bed.pending()) < 2 * chunk, 30_000);
      const [{ rows }] = await bed.ds.query('SELECT count(*)::int AS rows FROM outbox');
      largestTable = Math.max(largestTable, rows);
    }
    await waitFor('drained', async () => (await bed.pending()) === 0, 60_000);
    await waitFor(
      'retention caught up',
      async () => (await bed.ds.query('SELECT count(*)::int AS n FROM outbox'))[0].n === 0,
      30_000,
    );

    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    const offsets = await kafkaAdmin.fetchTopicOffsets(topic);
    await kafkaAdmin.disconnect();
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBeGreaterThanOrEqual(100_000);
    expect(largestTable).toBeLessThan(20_000);
    console.log(`outbox drain: 100000 rows, largest table ${largestTable} rows`);
  }, 180_000);
});
