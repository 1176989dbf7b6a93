import { AbstractLogger, LogLevel, LogMessage } from 'typeorm';
import { OutboxRelay } from '@transactional-outbox/outbox';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { atMost, progress, ResultRow, row } from '../report';
import { benchDatabase, kafka } from '../fixtures';
import { sleep } from '../stats';

/** Counts every statement the relay's pool sends; TypeORM hands each one to its logger. */
class QueryCounter extends AbstractLogger {
  count = 0;
  constructor() {
    super(['query']);
  }
  protected writeLog(level: LogLevel, _message: LogMessage | LogMessage[]): void {
    if (level === 'query') this.count += 1;
  }
}

/**
 * Metric 7: a relay with its default settings and no traffic: the statements it sends per
 * second and the CPU it uses (this process runs nothing else meanwhile).
 */
export async function idleCost(durationMs: number): Promise<ResultRow[]> {
  const db = await benchDatabase('bench_idle');
  const counter = new QueryCounter();
  const relayDs = await db.connect({ logging: ['query'], logger: counter });
  const relay = new OutboxRelay(relayDs, new KafkaJsPublisher(kafka), { name: 'bench-idle' });
  try {
    await relay.start();
    while (!relay.isLeader) await sleep(10);
    await sleep(2000);
    progress(`idle relay: measuring for ${durationMs / 1000}s`);
    const queries0 = counter.count;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(durationMs);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const qps = (counter.count - queries0) / seconds;
    const cpuShare = ((cpu.user + cpu.system) / 1e6 / seconds) * 100;
    progress(`idle relay: ${qps.toFixed(2)} queries/s, ${cpuShare.toFixed(2)}% of a core`);
    return [
      row('7. idle relay queries/s', qps, null, 'q/s', '≤ 2 q/s', atMost(2)),
      row('7. idle relay CPU (whole bench process)', cpuShare, null, '% core', 'context', undefined),
    ];
  } finally {
    await relay.stop();
    await db.drop();
  }
}
