import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import {
  createTestDatabase,
  kafkaBrokers,
  readTopic,
  runTs,
  ReadMessage,
  sleep,
  startBroker,
  stopBroker,
  waitFor,
} from '@shop/infra';
import {
  CreateOutboxTable1764000000000,
  Outbox,
  OutboxAdmin,
  OutboxEvent,
  OutboxMetrics,
  OutboxRelay,
  OutboxRelayOptions,
  outboxSql,
  PendingRow,
  runOutboxCli,
} from './index';

const kafka = new Kafka({ clientId: 'relay-it', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });

const event = (aggregateId: string, n: number, data: Record<string, unknown> = {}): OutboxEvent => ({
  id: randomUUID(),
  type: 'thing.happened.v1',
  aggregateType: 'thing',
  aggregateId,
  occurredAt: new Date().toISOString(),
  data: { n, ...data },
});

const nOf = (m: ReadMessage) => (JSON.parse(String(m.value)) as { data: { n: number } }).data.n;
const idOf = (m: ReadMessage) => String(m.headers?.id);

describe('OutboxRelay (real PostgreSQL and Kafka)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let admin: OutboxAdmin;
  const relays: OutboxRelay[] = [];
  const readers: { stop(): Promise<void> }[] = [];
  const outbox = new Outbox({ notifyChannel: '' });

  const commit = (events: OutboxEvent[], via = outbox, dataSource = ds) =>
    dataSource.transaction((manager) => via.add(events, manager));
  const pending = async () => (await admin.stats()).pending;
  const newRelay = (options: OutboxRelayOptions) => {
    const relay = new OutboxRelay(ds, kafka, { name: randomUUID(), pollIntervalMs: 50, ...options });
    relays.push(relay);
    return relay;
  };
  const newReader = async (topic: string) => {
    const reader = await readTopic(topic);
    readers.push(reader);
    return reader;
  };

  beforeAll(async () => {
    db = await createTestDatabase('relay_it');
    ds = new DataSource({ type: 'postgres', ...db.options, migrations: [CreateOutboxTable1764000000000] });
    await ds.initialize();
    await ds.runMigrations();
    admin = new OutboxAdmin(ds);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await Promise.all(readers.splice(0).map((r) => r.stop()));
    await ds.query('TRUNCATE outbox');
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('wakes on commit: in-process when it leads here, by NOTIFY from another process', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await newReader(topic);
    const registry = new Registry();
    // A poll every 10 minutes: only a wake-up can explain a prompt publish.
    const relay = newRelay({
      topicFor: () => topic,
      pollIntervalMs: 600_000,
      metrics: new OutboxMetrics(registry, admin),
    });
    await relay.start();
    await waitFor('leadership', async () => relay.isLeader, 10_000);
    await sleep(200); // the relay's first (empty) pass is over; it now sleeps

    const inProcess = event('a', 1);
    await commit([inProcess], new Outbox({ localRelay: relay }));
    await reader.waitFor(1, (m) => idOf(m) === inProcess.id, 10_000);

    // Another process: its own connection pool, no relay of its own, so it NOTIFYs.
    const other = new DataSource({ type: 'postgres', ...db.options });
    await other.initialize();
    const remote = event('b', 1);
    try {
      await commit([remote], new Outbox(), other);
    } finally {
      await other.destroy();
    }
    await reader.waitFor(1, (m) => idOf(m) === remote.id, 10_000);

    const metrics = await registry.getMetricsAsJSON();
    const published = metrics.find((m) => m.name === 'outbox_published_total');
    expect(published?.values[0].value).toBe(2);
    expect(await pending()).toBe(0);
  });

  it('keeps each aggregate in commit order with three relays, across a leader change', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await newReader(topic);
    const name = randomUUID();
    const trio = [0, 1, 2].map(() => newRelay({ name, topicFor: () => topic, batchSize: 40, standbyRetryMs: 100 }));
    await Promise.all(trio.map((r) => r.start()));
    const aggregates = Array.from({ length: 20 }, () => randomUUID());
    const rounds = 25;
    let leadersSeen = 0;
    for (let n = 0; n < rounds; n++) {
      await Promise.all(aggregates.map((a) => commit([event(a, n)])));
      leadersSeen = Math.max(leadersSeen, trio.filter((r) => r.isLeader).length);
      if (n === 10) {
        const leader = trio.find((r) => r.isLeader);
        await leader?.stop(); // the standbys take over
      }
    }
    await waitFor('all published', async () => (await pending()) === 0, 60_000);
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
    const reader = await newReader(topic);
    const late = event('late', 0);
    const slow = ds.createQueryRunner();
    await slow.connect();
    await slow.startTransaction();
    await outbox.add(late, slow.manager); // takes the lowest seq, stays uncommitted

    const relay = newRelay({ topicFor: () => topic });
    await relay.start();
    await Promise.all(Array.from({ length: 200 }, (_, i) => commit([event(`busy-${i % 10}`, i)])));
    await reader.waitFor(200);
    expect(reader.messages.some((m) => idOf(m) === late.id)).toBe(false);

    await slow.commitTransaction();
    await slow.release();
    await reader.waitFor(1, (m) => idOf(m) === late.id, 10_000);
    const [{ seq }] = await ds.query('SELECT seq FROM outbox WHERE id = $1', [late.id]);
    const [{ min }] = await ds.query('SELECT min(seq) FROM outbox WHERE id <> $1', [late.id]);
    expect(BigInt(seq)).toBeLessThan(BigInt(min));
  });

  it('scans from a frontier past published rows while a snapshot holds the xmin horizon, never past a late row', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const relay = newRelay({ topicFor: () => topic });
    // Batches 60 ms apart: the relay moves its frontier at most every 50 ms.
    const drain = async () => {
      while ((await relay.relayBatch()) > 0) await sleep(60);
    };
    // Buffers the claim touches from a given seq, as the server counts them.
    const claimBuffers = async (from: string) => {
      const [{ 'QUERY PLAN': plan }] = await ds.query(
        `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${outboxSql.claim}`,
        [500, [], from, '{}'],
      );
      return plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks'];
    };
    // A transaction with a snapshot and an xid that writes no event (a report, a session
    // idle in transaction): while it lives, no dead row can be removed.
    const holder = ds.createQueryRunner();
    await holder.connect();
    await holder.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await holder.query('SELECT pg_current_xact_id()');
    const late = event('late', 0);
    const slow = ds.createQueryRunner();
    await slow.connect();
    try {
      await slow.startTransaction();
      await outbox.add(late, slow.manager); // takes a seq and stays open
      const [{ seq: lateSeq }] = await slow.query('SELECT seq FROM outbox WHERE id = $1', [late.id]);
      for (let i = 0; i < 20; i++)
        await commit(Array.from({ length: 100 }, (_, j) => event(`a-${j % 10}`, i * 100 + j)));
      await drain();
      await drain(); // the frontier moves once the marks it waits for have run
      expect(BigInt(relay.scanFrom)).toBeLessThanOrEqual(BigInt(lateSeq));

      await slow.commitTransaction();
      for (let i = 0; i < 30; i++) await commit(Array.from({ length: 100 }, (_, j) => event(`b-${j % 10}`, j)));
      await drain();
      await drain();
      expect(await pending()).toBe(0);
      const reader = await newReader(topic);
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

  it('holds back the aggregates a former leader left failing, and claims by reading about the rows it returns', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const events = (n: number) => Array.from({ length: n }, (_, j) => event(`agg-${j % 1000}`, j));
    for (let i = 0; i < 20; i++) await commit(events(500));
    const former = newRelay({ topicFor: () => topic });
    while ((await former.relayBatch()) > 0) await sleep(60);
    for (let i = 0; i < 20; i++) await commit(events(500));
    // As the former leader would have left it: one aggregate waits behind a refused row.
    const [[failing]] = await ds.query(
      `UPDATE outbox SET attempts = 1, next_attempt_at = now() + interval '1 hour'
        WHERE seq = (SELECT min(seq) FROM outbox WHERE published_at IS NULL AND aggregateid = 'agg-7')
        RETURNING seq`,
    );
    await ds.query('ANALYZE outbox');

    const claimed: PendingRow[] = [];
    const relay = newRelay({ topicFor: () => topic, hooks: { afterClaim: (rows) => void claimed.push(...rows) } });
    expect(await relay.relayBatch()).toBe(500);
    expect(claimed.some((r) => r.aggregateid === 'agg-8')).toBe(true);
    expect(claimed.some((r) => r.aggregateid === 'agg-7' && BigInt(r.seq) >= BigInt(failing.seq))).toBe(false);
    // 500 rows of about 250 bytes fill some 20 pages; checking the failing aggregates
    // with a subquery per row read hundreds more.
    const [{ 'QUERY PLAN': plan }] = await ds.query(
      `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${outboxSql.claim}`,
      [500, [], former.scanFrom, JSON.stringify({ thing: { 'agg-7': failing.seq } })],
    );
    expect(plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks']).toBeLessThan(200);
  });

  it('parks a record the broker refuses without holding back other aggregates, and re-queues it', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }],
      waitForLeaders: true,
    });
    const reader = await newReader(topic);
    const [x, y] = [`x-${randomUUID()}`, `y-${randomUUID()}`];
    const tooBig = event(x, 1, { blob: 'z'.repeat(50_000) });
    const afterBig = event(x, 2);
    const others = [event(y, 1), event(y, 2)];
    for (const e of [tooBig, afterBig, ...others]) await commit([e]);

    const relay = newRelay({ topicFor: () => topic, maxAttempts: 2, retryBackoffMs: 20, maxRetryBackoffMs: 50 });
    await relay.start();
    await reader.waitFor(2, (m) => String(m.key) === y);
    await waitFor('the big row parked', async () => (await admin.listParked()).length === 1, 10_000);
    const [parked] = await admin.listParked();
    expect(parked).toMatchObject({ id: tooBig.id, attempts: 2 });
    expect(parked.last_error).toMatch(/larger than the max message size/);
    await sleep(300);
    expect(reader.messages.filter((m) => String(m.key) === x)).toHaveLength(0); // x waits behind its parked row
    expect(await admin.stats()).toMatchObject({ pending: 1, parked: 1 });

    await kafkaAdmin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'max.message.bytes', value: '1048588' }],
        },
      ],
    });
    await kafkaAdmin.disconnect();
    const cliOutput: string[] = [];
    const url = `postgres://${db.options.username}:${db.options.password}@${db.options.host}:${db.options.port}/${db.name}`;
    expect(await runOutboxCli(['parked'], url, (l) => cliOutput.push(l))).toBe(0);
    expect(cliOutput[0]).toContain(tooBig.id);
    expect(await runOutboxCli(['requeue', '--all'], url, (l) => cliOutput.push(l))).toBe(0);
    expect(cliOutput[1]).toBe('requeued 1 row(s)');
    relay.wake();
    const xs = await reader.waitFor(2, (m) => String(m.key) === x);
    expect(xs.map(idOf)).toEqual([tooBig.id, afterBig.id]);
  });

  it('takes over from a leader that holds the lock but has gone silent', async () => {
    const name = randomUUID();
    const stuck = new Client({ ...db.options, user: db.options.username });
    await stuck.connect();
    stuck.on('error', () => undefined);
    const [{ locked }] = (
      await stuck.query('SELECT pg_try_advisory_lock(7345, hashtext($1) & 2147483647) AS locked', [name])
    ).rows;
    expect(locked).toBe(true);

    const relay = newRelay({ name, topicFor: () => 'unused', leaderStaleAfterMs: 1000, standbyRetryMs: 200 });
    await relay.start();
    await waitFor('takeover', async () => relay.isLeader, 15_000);
    await expect(stuck.query('SELECT 1')).rejects.toThrow();
    await stuck.end().catch(() => undefined);
  });

  it.each([
    ['after publishing, before marking', 'after-publish', 2],
    ['after claiming, before publishing', 'after-claim', 1],
  ])('publishes every row when the relay is SIGKILLed %s', async (_when, failpoint, copies) => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await newReader(topic);
    const events = [event('k', 1), event('k', 2), event('k', 3)];
    await commit(events);

    const signal = await runTs('libs/outbox/test/relay-process.ts', {
      PG_URL: `postgres://${db.options.username}:${db.options.password}@${db.options.host}:${db.options.port}/${db.name}`,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      FAILPOINT: failpoint,
    });
    expect(signal).toBe('SIGKILL');
    expect(await pending()).toBe(3); // nothing was marked

    expect(await newRelay({ topicFor: () => topic }).relayBatch()).toBe(3);
    expect(await pending()).toBe(0);
    const messages = await reader.waitFor(3 * copies);
    await sleep(500);
    expect(messages).toHaveLength(3 * copies); // after-publish: each event twice, nothing lost
    expect(new Set(messages.map(idOf))).toEqual(new Set(events.map((e) => e.id)));
  });

  it('holds rows while the broker is down and publishes them all when it returns', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const relay = newRelay({ topicFor: () => topic, retryBackoffMs: 100, maxRetryBackoffMs: 1000 });
    await relay.start();
    const before = Array.from({ length: 100 }, (_, i) => event(`agg-${i % 7}`, i));
    await commit(before);
    await waitFor('first half published', async () => (await pending()) === 0, 20_000);

    await stopBroker();
    const during = Array.from({ length: 100 }, (_, i) => event(`agg-${i % 7}`, 100 + i));
    try {
      await commit(during);
      await sleep(2000);
      expect(await pending()).toBe(100);
    } finally {
      await startBroker();
    }
    await waitFor('second half published', async () => (await pending()) === 0, 60_000);
    const reader = await newReader(topic);
    const messages = await reader.waitFor(200);
    expect(new Set(messages.map(idOf))).toEqual(new Set([...before, ...during].map((e) => e.id)));
  }, 120_000);

  it('drains 100,000 rows under sustained writes while retention keeps the table small', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const relay = newRelay({ topicFor: () => topic, batchSize: 1000, retentionSeconds: 0, retentionIntervalMs: 100 });
    await relay.start();
    const chunk = 2000;
    let largestTable = 0;
    for (let i = 0; i < 50; i++) {
      await commit(Array.from({ length: chunk }, (_, j) => event(`agg-${j % 50}`, i * chunk + j)));
      // Writers a little ahead of the relay, as under steady load.
      await waitFor('relay keeps up', async () => (await pending()) < 2 * chunk, 30_000);
      const [{ rows }] = await ds.query('SELECT count(*)::int AS rows FROM outbox');
      largestTable = Math.max(largestTable, rows);
    }
    await waitFor('drained', async () => (await pending()) === 0, 60_000);
    await waitFor(
      'retention caught up',
      async () => (await ds.query('SELECT count(*)::int AS n FROM outbox'))[0].n === 0,
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
