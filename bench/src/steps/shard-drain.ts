import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { kafkaBrokers, spawnTs } from '@shop/infra';
import { progress, ResultRow, row } from '../report';
import { BenchDatabase, benchDatabase, createTopic, deleteTopics } from '../fixtures';
import { cpuSecondsOf, cpuSince, sampleCpu } from '../cpu';
import { sleep } from '../stats';
import { fillBacklog } from './relay-drain';

const SHARD_COUNTS = [1, 2, 4];

/** A relay process of libs/outbox (test/shard-relay-process.ts), leading what it reports. */
function relayProcess(db: BenchDatabase, name: string, shards: number, topic: string) {
  const o = db.ds.options as { username: string; password: string; host: string; port: number };
  const child = spawnTs(
    'libs/outbox/test/shard-relay-process.ts',
    {
      PG_URL: `postgres://${o.username}:${o.password}@${o.host}:${o.port}/${db.name}`,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      NAME: name,
      SHARDS: String(shards),
    },
    ['ignore', 'pipe', 'inherit'],
  );
  const state = { led: [] as number[], published: 0 };
  if (child.stdout)
    createInterface({ input: child.stdout }).on('line', (line) => {
      const report = JSON.parse(line) as { led?: number[]; published?: number };
      if (report.led) state.led = report.led;
      if (report.published !== undefined) state.published = report.published;
    });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    state,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: () => (child.kill('SIGTERM'), exited),
  };
}

/** Seconds and CPU seconds (relay processes, PostgreSQL, Kafka) for `shards` processes to drain `count` rows. */
async function drain(db: BenchDatabase, shards: number, count: number) {
  await db.ds.query('TRUNCATE outbox');
  const topic = await createTopic('drain-shards');
  const name = randomUUID();
  const relays = Array.from({ length: shards }, () => relayProcess(db, name, shards, topic));
  try {
    const deadline = Date.now() + 60_000;
    while (!relays.every((r) => r.state.led.length === 1)) {
      if (Date.now() > deadline) throw new Error(`${shards} relay processes did not share ${shards} shards in 60 s`);
      await sleep(20);
    }
    // The backlog commits at once; the relays, polling every 50 ms, start on it from there.
    await fillBacklog(db.ds, count, 500);
    const t0 = performance.now();
    const cpu0 = sampleCpu();
    const relayCpu0 = relays.map((r) => r.cpuSeconds());
    // The relays report what they published: asking the table instead would walk the dead
    // index entries of the rows already published, charging PostgreSQL for the bench's polling.
    const drained = Date.now() + 600_000;
    while (relays.reduce((sum, r) => sum + r.state.published, 0) < count) {
      if (Date.now() > drained) throw new Error(`${shards} relay processes did not drain ${count} rows in 10 min`);
      await sleep(5);
    }
    const seconds = (performance.now() - t0) / 1000;
    const relayCpu = relays.reduce((sum, r, i) => sum + r.cpuSeconds() - relayCpu0[i], 0);
    const infra = cpuSince(cpu0);
    return { seconds, relayCpu, postgresCpu: infra.postgres, kafkaCpu: infra.kafka };
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
    await deleteTopics([topic]);
  }
}

/**
 * The polling relay with 1, 2 and 4 shards, one relay process per shard, draining the same
 * pre-filled backlog to Kafka; ratios against 1 shard in the same run.
 */
export async function shardDrain(count: number): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_shards');
  const runs = new Map<number, Awaited<ReturnType<typeof drain>>>();
  try {
    for (const shards of SHARD_COUNTS) {
      progress(`shard drain: ${count.toLocaleString('en-US')} events, ${shards} shard(s) in ${shards} process(es)`);
      const run = await drain(db, shards, count);
      runs.set(shards, run);
      const cpu = ((run.relayCpu + run.postgresCpu + run.kafkaCpu) / count) * 1e6;
      progress(
        `shard drain, ${shards} shard(s): ${Math.round(count / run.seconds)} msg/s; CPU per 1k messages: ` +
          `relays ${((run.relayCpu / count) * 1e6).toFixed(1)} ms, postgres ${((run.postgresCpu / count) * 1e6).toFixed(1)} ms, ` +
          `kafka ${((run.kafkaCpu / count) * 1e6).toFixed(1)} ms, all ${cpu.toFixed(1)} ms`,
      );
    }
  } finally {
    await db.drop();
  }
  const one = runs.get(1);
  if (!one) throw new Error('shard drain: no 1-shard run');
  type Run = typeof one;
  const rate = (r: Run) => count / r.seconds;
  const cpu = (r: Run) => ((r.relayCpu + r.postgresCpu + r.kafkaCpu) / count) * 1e6;
  return SHARD_COUNTS.flatMap((shards) => {
    const run = runs.get(shards) ?? one;
    const label =
      shards === 1 ? '1 shard, 1 relay process' : `${shards} shards in ${shards} relay processes (baseline: 1 shard)`;
    const baseline = (f: (r: Run) => number) => (shards === 1 ? null : f(one));
    return [
      row(`shards: drain throughput, ${label}`, rate(run), baseline(rate), 'msg/s', 'context'),
      row(
        `shards: CPU per 1k messages (relays, PostgreSQL, Kafka), ${label}`,
        cpu(run),
        baseline(cpu),
        'ms',
        'context',
      ),
    ];
  });
}
