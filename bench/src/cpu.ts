import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR } from '@shop/infra';

const TICKS_PER_SECOND = 100;

/** utime, stime, cutime, cstime of a process, in seconds, and its parent (Linux /proc). */
function procStat(pid: number): { ppid: number; own: number; children: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const n = (i: number) => Number(fields[i]) / TICKS_PER_SECOND;
    return { ppid: Number(fields[1]), own: n(11) + n(12), children: n(13) + n(14) };
  } catch {
    return undefined; // gone, or no /proc
  }
}

/** CPU seconds a process has used so far; NaN when it cannot be read. */
export function cpuSecondsOf(pid: number | undefined): number {
  return pid === undefined ? NaN : (procStat(pid)?.own ?? NaN);
}

const readPid = (file: string) => Number(readFileSync(file, 'utf8').split('\n')[0]);

/** PostgreSQL's CPU: the postmaster, its live children, and the children it has reaped. */
function postgresSeconds(): number {
  const postmaster = readPid(join(INFRA_DIR, 'postgres/data/postmaster.pid'));
  const root = procStat(postmaster);
  if (!root) return NaN;
  let total = root.own + root.children;
  for (const entry of readdirSync('/proc')) {
    const stat = /^\d+$/.test(entry) ? procStat(Number(entry)) : undefined;
    if (stat?.ppid === postmaster) total += stat.own;
  }
  return total;
}

export interface CpuSample {
  bench: number;
  postgres: number;
  kafka: number;
  /** The RabbitMQ node; 0 when it is not running. */
  rabbitmq: number;
}

const rabbitmqPidFile = join(INFRA_DIR, 'rabbitmq/rabbitmq.pid');

/** CPU seconds of the Kafka Connect worker (one JVM: Debezium, Connect and its producer); NaN when none runs. */
export function connectCpuSeconds(): number {
  const pidFile = join(INFRA_DIR, 'connect/connect.pid');
  return existsSync(pidFile) ? cpuSecondsOf(readPid(pidFile)) : NaN;
}

/** CPU seconds used so far by this process, the native PostgreSQL cluster and the brokers. */
export function sampleCpu(): CpuSample {
  const usage = process.cpuUsage();
  let postgres = NaN;
  let kafka = NaN;
  let rabbitmq = 0;
  try {
    postgres = postgresSeconds();
    kafka = cpuSecondsOf(readPid(join(INFRA_DIR, 'kafka/kafka.pid')));
    if (existsSync(rabbitmqPidFile)) rabbitmq = cpuSecondsOf(readPid(rabbitmqPidFile)) || 0; // a stale file: 0
  } catch {
    // docker mode: no pid files here; the figures are left out
  }
  return { bench: (usage.user + usage.system) / 1e6, postgres, kafka, rabbitmq };
}

export const zeroCpu = (): CpuSample => ({ bench: 0, postgres: 0, kafka: 0, rabbitmq: 0 });

/** Adds `s` to `sum` in place. */
export function addCpu(sum: CpuSample, s: CpuSample): void {
  sum.bench += s.bench;
  sum.postgres += s.postgres;
  sum.kafka += s.kafka;
  sum.rabbitmq += s.rabbitmq;
}

export const cpuSince = (from: CpuSample): CpuSample => {
  const now = sampleCpu();
  return {
    bench: now.bench - from.bench,
    postgres: now.postgres - from.postgres,
    kafka: now.kafka - from.kafka,
    rabbitmq: now.rabbitmq - from.rabbitmq,
  };
};

/** Both brokers count wherever they run: an idle one costs either side of a comparison alike. */
export const cpuTotal = (s: CpuSample) => s.bench + s.postgres + s.kafka + s.rabbitmq;

const msPer = (seconds: number, per: number) => ((seconds / per) * 1000).toFixed(2);

export const describeCpu = (s: CpuSample, per: number, unit: string) =>
  `CPU per ${unit}: node ${msPer(s.bench, per)} ms, postgres ${msPer(s.postgres, per)} ms, ` +
  `kafka ${msPer(s.kafka, per)} ms, rabbitmq ${msPer(s.rabbitmq, per)} ms`;

/** Busy CPU seconds of the whole machine so far, all cores (Linux /proc/stat). */
export function machineBusySeconds(): number {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy
    const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}
