import { Client } from 'pg';
import { adminConnection, connectRunning, readWholeTopic } from '@shop/infra';
import { atMost, atMostRatio, progress, ResultRow, row } from '../report';
import { admin, BenchDatabase, benchDatabase, kafka, walPosition } from '../fixtures';
import { atRate, latencies, percentile, sleep } from '../stats';
import { sampleCpu } from '../cpu';
import { debezium, logical, noRelay, polling, RelayMode, RunningRelay } from '../relays';
import { Latency } from './commit-to-publish';
import { placeOrderTransaction } from './place-order';

interface ModeResult {
  mode: RelayMode;
  p50: number;
  p99: number;
  /** Per event during the run: CPU seconds of the relay's process and of PostgreSQL, WAL bytes. */
  relayCpu: number;
  postgresCpu: number;
  wal: number;
  idleQps: number;
}

/** CPU seconds per event as ms per 1k events. */
const per1k = (seconds: number) => seconds * 1e6;

/** A topic whose records carry the broker's append time: one clock for every relay, Debezium's too. */
async function appendTimeTopic(topic: string): Promise<void> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    await kafkaAdmin.createTopics({
      topics: [
        { topic, numPartitions: 3, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
      ],
      waitForLeaders: true,
    });
  } finally {
    await kafkaAdmin.disconnect();
  }
}

/** Removes the bench's topics that exist, Debezium's heartbeat topic among them. */
async function removeTopics(topics: string[]): Promise<void> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const existing = new Set(await kafkaAdmin.listTopics());
    const gone = topics.filter((t) => existing.has(t));
    if (gone.length > 0) await kafkaAdmin.deleteTopics({ topics: gone });
  } finally {
    await kafkaAdmin.disconnect();
  }
}

/** Until `count` records are on the topic and, where rows are marked, every row is. */
async function waitForPublished(db: BenchDatabase, topic: string, count: number, marks: boolean): Promise<void> {
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const onTopic = (await kafkaAdmin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
      const [{ n }] = marks
        ? await db.ds.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL')
        : [{ n: 0 }];
      if (onTopic >= count && n === 0) return;
      if (Date.now() > deadline) throw new Error(`${count - onTopic} events not published, ${n} unmarked after 60 s`);
      await sleep(20);
    }
  } finally {
    await kafkaAdmin.disconnect();
  }
}

/**
 * Statements on `database` during `ms`: each new query_start of a client backend in
 * pg_stat_activity, sampled every 10 ms. A walsender's keepalives are no query, and neither is
 * autovacuum; statements less than 10 ms apart on one connection count once.
 */
async function statementsOn(database: string, ms: number): Promise<number> {
  const client = new Client(adminConnection('postgres'));
  await client.connect();
  try {
    const sample = async (): Promise<string[]> => {
      const { rows } = await client.query(
        `SELECT pid::text || ' ' || query_start::text AS s FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND query_start IS NOT NULL`,
        [database],
      );
      return rows.map((r) => r.s);
    };
    const before = new Set(await sample());
    const seen = new Set<string>();
    const end = performance.now() + ms;
    while (performance.now() < end) {
      for (const s of await sample()) if (!before.has(s)) seen.add(s);
      await sleep(10);
    }
    return seen.size;
  } finally {
    await client.end();
  }
}

/** From each commit to its record's append on the broker (the first copy, if the relay sent one twice). */
async function appendLatency(topic: string, committedAt: Map<string, number>): Promise<Latency> {
  const appendedAt = new Map<string, number>();
  for (const m of await readWholeTopic(topic)) {
    const id = String(m.headers?.id);
    if (!appendedAt.has(id)) appendedAt.set(id, Number(m.timestamp));
  }
  const samples = latencies(committedAt, appendedAt);
  if (samples.length < committedAt.size) throw new Error(`${committedAt.size - samples.length} events not on ${topic}`);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/**
 * One mode on a fresh copy of the order-service schema: a warm-up, then `rate` place-order
 * transactions per second for `durationMs` (latency, CPU and WAL), then `idleMs` with none.
 */
async function measure(mode: RelayMode, rate: number, durationMs: number, idleMs: number): Promise<ModeResult> {
  const db = await benchDatabase('bench_relay', 'orders');
  // A vacuum during one mode's run and not another's would move its WAL figure.
  await db.ds.query(
    `ALTER TABLE outbox SET (autovacuum_enabled = off); ALTER TABLE orders SET (autovacuum_enabled = off)`,
  );
  // Debezium's router and the relays' default topicFor both send to outbox.event.<aggregateType>.
  const aggregateType = `bench-${db.name.replaceAll('_', '-')}`;
  const topic = `outbox.event.${aggregateType}`;
  if (mode.publishes) await appendTimeTopic(topic);
  let relay: RunningRelay | undefined;
  try {
    relay = await mode.start(db);
    const { outbox } = relay;
    const place = () => placeOrderTransaction(db.ds, outbox, aggregateType);
    // Connections open, code is compiled (the JVM's too), the slot streams.
    const warm = await atRate(rate, durationMs / 5, async () => void (await place()));
    if (warm.errors.length > 0) throw warm.errors[0];
    if (mode.publishes) await waitForPublished(db, topic, warm.started, mode.marks);
    // Every run starts right after a checkpoint, so full-page images weigh alike in each.
    await admin('postgres', (c) => c.query('CHECKPOINT'));
    progress(`relay modes, ${mode.label}: ${Math.round(rate)} tx/s for ${durationMs / 1000}s`);
    const committedAt = new Map<string, number>();
    const epoch = Date.now() - performance.now(); // commit times in ms since 1970, as the broker's
    const [wal0, cpu0, relayCpu0] = [await walPosition(), sampleCpu(), relay.cpuSeconds()];
    const { errors } = await atRate(rate, durationMs, async () => {
      const id = await place();
      committedAt.set(id, epoch + performance.now());
    });
    if (errors.length > 0) throw errors[0];
    if (mode.publishes) await waitForPublished(db, topic, warm.started + committedAt.size, mode.marks);
    const events = committedAt.size;
    const wal = ((await walPosition()) - wal0) / events;
    const relayCpu = (relay.cpuSeconds() - relayCpu0) / events;
    const postgresCpu = (sampleCpu().postgres - cpu0.postgres) / events;
    await sleep(2000);
    progress(`relay modes, ${mode.label}: idle for ${idleMs / 1000}s`);
    const idleQps = (await statementsOn(db.name, idleMs)) / (idleMs / 1000);
    await relay.stop();
    relay = undefined;
    const { p50, p99 } = mode.publishes ? await appendLatency(topic, committedAt) : { p50: NaN, p99: NaN };
    progress(
      `relay modes, ${mode.label}: ${mode.publishes ? `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; ` : ''}` +
        `CPU per 1k events: ${mode.process} ${per1k(relayCpu).toFixed(1)} ms, postgres ${per1k(postgresCpu).toFixed(1)} ms; ` +
        `WAL ${Math.round(wal)} B/event; idle ${idleQps.toFixed(2)} q/s`,
    );
    return { mode, p50, p99, relayCpu, postgresCpu, wal, idleQps };
  } finally {
    await relay?.stop();
    await db.drop();
    if (mode.publishes) await removeTopics([topic, `__debezium-heartbeat.${db.name}`]);
  }
}

/**
 * Issue #18: the polling relay, the log-based relay (rows marked, or deleted as inserted) and
 * Debezium, each at `rate` tx/s on a fresh database, beside the same writes with no relay.
 */
export async function relayModes(rate: number, sizes: { windowMs: number; idleMs: number }): Promise<ResultRow[]> {
  if (await connectRunning())
    throw new Error('Kafka Connect already runs: stop it (npm run infra:connect -- down); the bench starts its own');
  const results: ModeResult[] = [];
  for (const mode of [noRelay, polling, logical(false), logical(true), debezium])
    results.push(await measure(mode, rate, sizes.windowMs, sizes.idleMs));
  const [none, poll, ...others] = results;
  return [poll, ...others].flatMap((r) => {
    const metric = (what: string, note?: string) =>
      `relay modes: ${what}, ${r.mode.label}${note === undefined ? '' : ` (${note})`}`;
    const logBased = r !== poll;
    const vsPolling = logBased ? 'baseline: polling' : undefined;
    // An in-process relay shares the bench process with the writers, whose CPU the no-relay run measured.
    const inBench = r.mode.process === none.mode.process;
    const relayCpu = inBench ? r.relayCpu - none.relayCpu : r.relayCpu;
    return [
      row(metric('commit→publish p50', vsPolling), r.p50, logBased ? poll.p50 : null, 'ms', 'context'),
      row(
        metric('commit→publish p99', vsPolling),
        r.p99,
        logBased ? poll.p99 : null,
        'ms',
        logBased ? '≤ polling p99' : 'context',
        logBased ? atMostRatio(1) : undefined,
      ),
      row(
        metric('relay CPU per 1k events', inBench ? `${r.mode.process} − no relay's` : r.mode.process),
        per1k(relayCpu),
        null,
        'ms',
        'context',
      ),
      row(
        metric('PostgreSQL CPU per 1k events', 'baseline: no relay'),
        per1k(r.postgresCpu),
        per1k(none.postgresCpu),
        'ms',
        'context',
      ),
      row(metric('WAL per event', 'baseline: no relay'), r.wal, none.wal, 'B', 'context'),
      row(
        metric('idle queries/s', 'baseline: no relay'),
        r.idleQps,
        none.idleQps,
        'q/s',
        logBased ? '0 q/s' : 'context',
        logBased ? atMost(0) : undefined,
      ),
    ];
  });
}
