/**
 * `npm run bench [-- --quick]`: every figure of issue #7, and issue #18's relay modes, beside
 * a baseline measured in the same run on the same machine. Prints a table, writes
 * bench/results/latest.json and the curves' charts (charts-output.ts).
 * Quick mode uses small sizes and never fails on a missed target, only on a crash;
 * `--only=step,step` runs some steps (names: the `steps` table below).
 */
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { infraDown, infraUp, ROOT_DIR } from '@shop/infra';
import { formatTable, progress, ResultRow, writeJson } from './report';
import { checkDurable } from './fixtures';
import { confluentDrain, kafkaDrain, relayDrain } from './steps/relay-drain';
import { confluentRows } from './confluent';
import { rabbitmqDrain } from './steps/rabbitmq-drain';
import { httpThroughput } from './steps/http-throughput';
import { pipeline } from './steps/pipeline';
import { placeOrderTps } from './steps/place-order-tps';
import { commitToPublish, confluentCommitToPublish } from './steps/commit-to-publish';
import { rabbitmqCommitToPublish } from './steps/rabbitmq-commit-to-publish';
import { relayModes } from './steps/relay-modes';
import { commitToConsumed } from './steps/commit-to-consumed';
import { consumerThroughput } from './steps/consumer-throughput';
import { rabbitmqConsumerThroughput } from './steps/rabbitmq-consumer-throughput';
import { idleCost } from './steps/idle-cost';
import { tableHealth } from './steps/table-health';
import { drainCurve, latencyCurve } from './steps/curves';
import { perOrder } from './steps/per-order';
import { shardDrain } from './steps/shard-drain';
import { writeCharts } from './charts-output';

const quick = process.argv.includes('--quick');

const sizes = quick
  ? {
      backlog: 10_000,
      windowMs: 5_000,
      httpSeconds: 5,
      consumerMessages: 600,
      idleMs: 5_000,
      relayModes: { windowMs: 5_000, idleMs: 5_000 },
      health: { small: 10_000, large: 30_000, baselineMs: 8_000, xminHoldMs: 15_000 },
      latencyCurve: { publishFrom: 100, consumedFrom: 10, factor: 2, windowMs: 3_000, maxPoints: 6 },
      drainCurve: [1_000, 5_000, 20_000],
      perOrder: { orders: 2_000, rounds: 1 },
    }
  : {
      backlog: 100_000,
      windowMs: 30_000,
      httpSeconds: 30,
      consumerMessages: 10_000,
      idleMs: 60_000,
      relayModes: { windowMs: 20_000, idleMs: 20_000 },
      health: { small: 10_000, large: 1_000_000, baselineMs: 60_000, xminHoldMs: 120_000 },
      latencyCurve: { publishFrom: 200, consumedFrom: 25, factor: 1.5, windowMs: 8_000, maxPoints: 12 },
      drainCurve: [10_000, 100_000, 1_000_000],
      perOrder: { orders: 10_000, rounds: 2 },
    };

const resultsFile = join(ROOT_DIR, 'bench/results/latest.json');

/** Figures later steps depend on, each measured once, by its own step or by the first step needing it. */
const once = <T>(fn: () => Promise<T>): (() => Promise<T>) => {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
};
const http = once(() => httpThroughput(sizes.httpSeconds));
const tx = once(() => placeOrderTps(sizes.windowMs));
const latencyRate = async () => (await tx()).maxTps / 2;
const publish = once(async () => commitToPublish(await latencyRate(), sizes.windowMs));

/** The steps in the order they run; `--only=a,b` runs a subset (and what it depends on, unprinted). */
const steps: Record<string, () => Promise<ResultRow[]>> = {
  'kafka-drain': async () => [
    ...(await relayDrain(kafkaDrain, sizes.backlog)),
    ...(await confluentRows('kafka-drain', (client) => relayDrain(confluentDrain(client), sizes.backlog))),
  ],
  'rabbitmq-drain': () => relayDrain(rabbitmqDrain, sizes.backlog),
  http: async () => (await http()).rows,
  pipeline: () => pipeline(Math.min(sizes.windowMs, 15_000)), // one window per rate step
  'place-order': async () => (await tx()).rows,
  'commit-to-publish': async () => [
    ...(await publish()).rows,
    ...(await confluentRows('commit-to-publish', async (client) =>
      confluentCommitToPublish(client, await latencyRate(), sizes.windowMs),
    )),
  ],
  'rabbitmq-commit-to-publish': async () =>
    rabbitmqCommitToPublish(await latencyRate(), sizes.windowMs, await publish()),
  'relay-modes': async () => relayModes(await latencyRate(), sizes.relayModes),
  'commit-to-consumed': async () =>
    commitToConsumed(Math.min(await latencyRate(), (await http()).maxRate / 2), sizes.windowMs, (await publish()).p99),
  'consumer-throughput': () => consumerThroughput(sizes.consumerMessages),
  'rabbitmq-consumer-throughput': () => rabbitmqConsumerThroughput(sizes.consumerMessages),
  'idle-cost': () => idleCost(sizes.idleMs),
  'table-health': () => tableHealth(sizes.health),
  'latency-curve': () => latencyCurve(sizes.latencyCurve),
  'drain-curve': () => drainCurve(sizes.drainCurve),
  'per-order': () => perOrder(sizes.perOrder),
  'shard-drain': () => shardDrain(sizes.backlog),
};

function selectedSteps(): string[] {
  const only = process.argv.find((a) => a.startsWith('--only='));
  if (!only) return Object.keys(steps);
  const names = only.slice('--only='.length).split(',');
  const unknown = names.filter((n) => !(n in steps));
  if (unknown.length > 0)
    throw new Error(`unknown step(s) ${unknown.join(', ')}; steps: ${Object.keys(steps).join(', ')}`);
  return Object.keys(steps).filter((n) => names.includes(n));
}

async function main(): Promise<number> {
  Logger.overrideLogger(false); // kafkajs and NestJS stay quiet; progress lines are ours
  const t0 = Date.now();
  const names = selectedSteps();
  progress(
    `${quick ? 'quick' : 'full'} run on ${cpus().length}× ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  const { started } = await infraUp({ rabbitmq: true });
  const rows: ResultRow[] = [];
  try {
    progress(`PostgreSQL ${await checkDurable()}`);
    for (const name of names) rows.push(...(await steps[name]()));
  } finally {
    if (started.length > 0) await infraDown();
  }
  rows.sort((a, b) => a.metric.localeCompare(b.metric, 'en', { numeric: true }));
  writeJson(resultsFile, rows);
  writeCharts(!quick);
  const minutes = ((Date.now() - t0) / 60_000).toFixed(1);
  console.log(`\n${formatTable(rows)}\n`);
  console.log(
    `${quick ? 'quick' : 'full'} run, ${minutes} min, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(`results: ${resultsFile}`);
  const missed = rows.filter((r) => r.pass === false);
  if (missed.length > 0) console.log(`${missed.length} target(s) missed${quick ? ' (quick mode: not a failure)' : ''}`);
  return quick || missed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench crashed:', err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(2);
  },
);
