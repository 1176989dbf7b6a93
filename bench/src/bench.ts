/**
 * `npm run bench [-- --quick]`: every figure of issue #7, and issue #18's relay modes, beside
 * a baseline measured in the same run on the same machine. Prints a table, writes
 * bench/results/latest.json.
 * Quick mode uses small sizes and never fails on a missed target, only on a crash.
 */
import 'reflect-metadata';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { infraDown, infraUp, ROOT_DIR } from '@shop/infra';
import { formatTable, progress, ResultRow, writeJson } from './report';
import { checkDurable } from './fixtures';
import { kafkaDrain, relayDrain } from './steps/relay-drain';
import { rabbitmqDrain } from './steps/rabbitmq-drain';
import { httpThroughput } from './steps/http-throughput';
import { placeOrderTps } from './steps/place-order-tps';
import { commitToPublish } from './steps/commit-to-publish';
import { rabbitmqCommitToPublish } from './steps/rabbitmq-commit-to-publish';
import { relayModes } from './steps/relay-modes';
import { commitToConsumed } from './steps/commit-to-consumed';
import { consumerThroughput } from './steps/consumer-throughput';
import { rabbitmqConsumerThroughput } from './steps/rabbitmq-consumer-throughput';
import { idleCost } from './steps/idle-cost';
import { tableHealth } from './steps/table-health';

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
    }
  : {
      backlog: 100_000,
      windowMs: 30_000,
      httpSeconds: 30,
      consumerMessages: 10_000,
      idleMs: 60_000,
      relayModes: { windowMs: 20_000, idleMs: 20_000 },
      health: { small: 10_000, large: 1_000_000, baselineMs: 60_000, xminHoldMs: 300_000 },
    };

const resultsFile = join(ROOT_DIR, 'bench/results/latest.json');

async function main(): Promise<number> {
  Logger.overrideLogger(false); // kafkajs and NestJS stay quiet; progress lines are ours
  const t0 = Date.now();
  progress(
    `${quick ? 'quick' : 'full'} run on ${cpus().length}× ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  );
  const { started } = await infraUp({ rabbitmq: true });
  const rows: ResultRow[] = [];
  try {
    progress(`PostgreSQL ${await checkDurable()}`);
    rows.push(...(await relayDrain(kafkaDrain, sizes.backlog)));
    rows.push(...(await relayDrain(rabbitmqDrain, sizes.backlog)));
    const http = await httpThroughput(sizes.httpSeconds);
    rows.push(...http.rows);
    const tx = await placeOrderTps(sizes.windowMs);
    rows.push(...tx.rows);
    const latencyRate = tx.maxTps / 2;
    const publish = await commitToPublish(latencyRate, sizes.windowMs);
    rows.push(...publish.rows);
    rows.push(...(await rabbitmqCommitToPublish(latencyRate, sizes.windowMs, publish)));
    rows.push(...(await relayModes(latencyRate, sizes.relayModes)));
    rows.push(...(await commitToConsumed(Math.min(latencyRate, http.maxRate / 2), sizes.windowMs, publish.p99)));
    rows.push(...(await consumerThroughput(sizes.consumerMessages)));
    rows.push(...(await rabbitmqConsumerThroughput(sizes.consumerMessages)));
    rows.push(...(await idleCost(sizes.idleMs)));
    rows.push(...(await tableHealth(sizes.health)));
  } finally {
    if (started.length > 0) await infraDown();
  }
  rows.sort((a, b) => a.metric.localeCompare(b.metric, 'en', { numeric: true }));
  writeJson(resultsFile, rows);
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
