import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaBrokers, ROOT_DIR, settings, zipkinUrl } from './settings';
import { InfraError, run } from './process-utils';
import { postgresLog, postgresRunning, startNativePostgres, stopNativePostgres } from './native-postgres';
import {
  kafkaLogs,
  kafkaRunning,
  killNativeKafka,
  signalKafka,
  startKafkaNode,
  startNativeKafka,
  stopNativeKafka,
} from './native-kafka';
import { smtpLog, smtpRunning, startNativeSmtp, stopNativeSmtp, mailStore } from './native-smtp';
import {
  ensureNativeRabbitmqUsers,
  killNativeRabbitmq,
  rabbitmqLog,
  rabbitmqUsersEnv,
  rabbitmqRunning,
  signalRabbitmq,
  startNativeRabbitmq,
  stopNativeRabbitmq,
} from './native-rabbitmq';
import { ensureServiceDatabases } from './service-databases';
import { connectRunning, stopConnect } from './native-connect';
import { startNativeZipkin, stopNativeZipkin, zipkinLog, zipkinRunning } from './native-zipkin';
import {
  prometheusLog,
  prometheusRunning,
  prometheusUrl,
  startNativePrometheus,
  stopNativePrometheus,
} from './native-prometheus';
import { kafkaSmokeTest } from './kafka-smoke-test';
import { ensureKafka } from './kafka-topics';
import { ensureInboxQueues } from './rabbitmq-queues';

export type InfraMode = 'docker' | 'native';

export interface InfraStatus {
  mode: InfraMode;
  postgres: boolean;
  kafka: boolean;
  smtp: boolean;
  rabbitmq: boolean;
  zipkin: boolean;
  prometheus: boolean;
}

export interface InfraUpOptions {
  smokeTest?: boolean;
  /** Start RabbitMQ too; by default when INFRA_RABBITMQ=1 or BROKER=rabbitmq. */
  rabbitmq?: boolean;
  /** Start Zipkin (the trace viewer) too; by default when INFRA_ZIPKIN=1. */
  zipkin?: boolean;
  /** Start Debian's Prometheus scraping the services; by default when INFRA_PROMETHEUS=1. */
  prometheus?: boolean;
}

const composeFile = join(ROOT_DIR, 'docker-compose.yml');
const infraServices = ['postgres', 'kafka', 'mailpit'];
/** RabbitMQ is behind the compose profile `rabbitmq`: started only when asked for. */
const compose = (rabbitmq = false) => ['compose', '-f', composeFile, ...(rabbitmq ? ['--profile', 'rabbitmq'] : [])];
/** Every optional part too (RabbitMQ, Debezium's Kafka Connect), so that `down` stops them all. */
const composeAll = () => [...compose(true), '--profile', 'debezium'];

/** INFRA_MODE wins; otherwise docker where an engine answers, native everywhere else. */
export function infraMode(): InfraMode {
  const forced = process.env.INFRA_MODE;
  if (forced === 'docker' || forced === 'native') return forced;
  if (forced) throw new InfraError(`INFRA_MODE must be "docker" or "native", got "${forced}"`);
  const probe = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000, encoding: 'utf8' });
  return probe.status === 0 ? 'docker' : 'native';
}

export async function infraStatus(mode = infraMode()): Promise<InfraStatus> {
  const [postgres, kafka, smtp, rabbitmq, zipkin, prometheus] = await Promise.all([
    postgresRunning(),
    kafkaRunning(),
    smtpRunning(),
    rabbitmqRunning(),
    zipkinRunning(),
    prometheusRunning(),
  ]);
  return { mode, postgres, kafka, smtp, rabbitmq, zipkin, prometheus };
}

export const rabbitmqRequested = (opts: InfraUpOptions = {}): boolean =>
  opts.rabbitmq ?? (process.env.INFRA_RABBITMQ === '1' || settings.broker === 'rabbitmq');

export const zipkinRequested = (opts: InfraUpOptions = {}): boolean => opts.zipkin ?? process.env.INFRA_ZIPKIN === '1';
export const prometheusRequested = (opts: InfraUpOptions = {}): boolean =>
  opts.prometheus ?? process.env.INFRA_PROMETHEUS === '1';

const log = (line: string) => console.log(`[infra] ${line}`);

/** Idempotent: whatever already runs is reused. Returns what it had to start. */
export async function infraUp(opts: InfraUpOptions = {}): Promise<{ started: string[]; mode: InfraMode }> {
  const mode = infraMode();
  const rabbitmq = rabbitmqRequested(opts);
  const zipkin = zipkinRequested(opts);
  const prometheus = prometheusRequested(opts);
  if (mode === 'docker' && settings.kafka.brokers > 1)
    throw new InfraError('INFRA_KAFKA_BROKERS=3 (the Kafka cluster) runs in native mode only: set INFRA_MODE=native');
  const before = await infraStatus(mode);
  const started: string[] = [];
  if (mode === 'docker') {
    if (!(
      before.postgres &&
      before.kafka &&
      before.smtp &&
      (before.rabbitmq || !rabbitmq) &&
      (before.zipkin || !zipkin)
    )) {
      const services = [...infraServices, ...(rabbitmq ? ['rabbitmq'] : []), ...(zipkin ? ['zipkin'] : [])];
      log(`starting ${services.join(', ')} with docker compose…`);
      run('docker', [...compose(rabbitmq), 'up', '-d', '--wait', ...services], { stdio: 'inherit' });
      started.push('docker');
    }
    // Debian's prometheus in Docker mode too: the services tools/infra starts run on this host.
    if (prometheus && !before.prometheus) {
      await startNativePrometheus();
      started.push('prometheus');
    }
  } else {
    const parts: [keyof Omit<InfraStatus, 'mode'>, () => Promise<void>, string][] = [
      ['postgres', startNativePostgres, postgresLog()],
      ['kafka', startNativeKafka, kafkaLogs().join(', ')],
      ['smtp', startNativeSmtp, smtpLog],
    ];
    if (rabbitmq) parts.push(['rabbitmq', startNativeRabbitmq, rabbitmqLog]);
    if (zipkin) parts.push(['zipkin', startNativeZipkin, zipkinLog]);
    if (prometheus) parts.push(['prometheus', startNativePrometheus, prometheusLog]);
    for (const [name, start, logFile] of parts) {
      if (before[name]) {
        log(`${name}: already running, reused`);
        continue;
      }
      const t0 = Date.now();
      log(`${name}: starting… (log: ${logFile})`);
      await start();
      log(`${name}: ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
      started.push(name);
    }
  }
  await ensureServiceDatabases();
  const kafka = await ensureKafka(mode);
  if (kafka.passwords.length > 0) log(`kafka passwords set: ${kafka.passwords.join(', ')}`);
  if (kafka.topics.length > 0) log(`topics created: ${kafka.topics.join(', ')}`);
  if (kafka.aclsRemoved > 0) log(`kafka ACLs not in infra/kafka/acls.txt removed: ${kafka.aclsRemoved}`);
  if (rabbitmq) {
    log(ensureRabbitmqUsers(mode));
    // The relay's messages to an exchange without the consumers' queues would be refused.
    log(`rabbitmq queues declared: ${(await ensureInboxQueues()).length}`);
  }
  if (opts.smokeTest) {
    const ms = await kafkaSmokeTest();
    log(`kafka smoke test (produce, consume, consumer-group commit): ok in ${ms} ms`);
  }
  return { started, mode };
}

/** infra/rabbitmq/users.sh on the node: natively, or in compose's one-shot rabbitmq-init. */
function ensureRabbitmqUsers(mode: InfraMode): string {
  if (mode === 'native') return ensureNativeRabbitmqUsers();
  const env = { ...process.env, ...rabbitmqUsersEnv() };
  return run('docker', [...compose(true), 'run', '--rm', 'rabbitmq-init'], { env }).trim();
}

export async function infraDown(): Promise<void> {
  await stopNativePrometheus();
  if (infraMode() === 'docker') {
    run('docker', [...composeAll(), 'down'], { stdio: 'inherit' });
    return;
  }
  // Connect first: stopped after the broker or the database, it would log errors and retry.
  if (await connectRunning()) await stopConnect();
  await stopNativeRabbitmq();
  await stopNativeZipkin();
  await stopNativeSmtp();
  await stopNativeKafka();
  stopNativePostgres('fast');
}

/**
 * Stops what `infraUp` reported it started, and only that: a demo that found the
 * infrastructure running and added Zipkin leaves the rest running for whoever started it.
 */
export async function stopStarted(started: string[]): Promise<void> {
  const core = ['docker', 'postgres', 'kafka'];
  if (started.some((part) => core.includes(part))) return infraDown();
  const extras: Record<string, () => Promise<void>> = {
    prometheus: stopNativePrometheus,
    rabbitmq: stopNativeRabbitmq,
    zipkin: stopNativeZipkin,
    smtp: stopNativeSmtp,
  };
  for (const part of started) await extras[part]?.();
}

/** RabbitMQ's, Zipkin's and Prometheus' lines when they are asked for (by default as `infraUp` decides). */
export function describeEndpoints(opts: { rabbitmq?: boolean; zipkin?: boolean; prometheus?: boolean } = {}): string[] {
  const { host, postgres, kafka, smtp, rabbitmq, zipkin } = settings;
  const native = infraMode() === 'native';
  return [
    `postgres  ${host}:${postgres.port}${native ? `   log: ${postgresLog()}` : ''}`,
    `kafka     ${kafkaBrokers().join(',')}   SASL/SCRAM-SHA-512, admin admin${kafka.brokers > 1 ? `, ${kafka.brokers} brokers` : ''}${native ? `   log: ${kafkaLogs().join(', ')}` : ''}`,
    `smtp      ${host}:${smtp.port}    mail API/UI: http://${host}:${smtp.apiPort}${native ? `   store: ${mailStore}` : ''}`,
    ...(rabbitmqRequested(opts)
      ? [`rabbitmq  ${host}:${rabbitmq.port}   admin ${rabbitmq.adminUser}${native ? `   log: ${rabbitmqLog}` : ''}`]
      : []),
    ...(zipkinRequested(opts)
      ? [`zipkin    ${host}:${zipkin.port}   traces: ${zipkinUrl()}/zipkin/${native ? `   log: ${zipkinLog}` : ''}`]
      : []),
    ...(prometheusRequested(opts)
      ? [`prometheus ${prometheusUrl()}   scrapes the services   log: ${prometheusLog}`]
      : []),
  ];
}

/** What the Kafka broker logged (its refusals among it; every node's of a cluster), in either mode. */
export function brokerLog(): string {
  if (infraMode() === 'docker') return run('docker', ['compose', '-f', composeFile, 'logs', '--no-color', 'kafka']);
  return kafkaLogs()
    .map((log) => readFileSync(log, 'utf8'))
    .join('\n');
}

/** For fault tests: stop and start the broker alone, in either mode. */
export async function stopBroker(): Promise<void> {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'stop', 'kafka']);
  else await stopNativeKafka();
}

export async function startBroker(): Promise<void> {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'up', '-d', '--wait', 'kafka']);
  else await startNativeKafka();
}

/** For the cluster's fault tests (native, INFRA_KAFKA_BROKERS=3): one node SIGKILLed, and started again. */
export const killBrokerNode = (id: number): Promise<void> => killNativeKafka(id);
export const startBrokerNode = (id: number): Promise<void> => startKafkaNode(id);

/** For fault tests: PostgreSQL stopped as by a crash (immediate mode), and started again. */
export async function crashPostgres(): Promise<void> {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'kill', '-s', 'SIGKILL', 'postgres']);
  else stopNativePostgres('immediate');
}

export async function startPostgres(): Promise<void> {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'up', '-d', '--wait', 'postgres']);
  else await startNativePostgres();
}

/** For fault tests: freeze and thaw the broker process (SIGSTOP / SIGCONT). */
export function pauseBroker(): void {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'pause', 'kafka']);
  else signalKafka('SIGSTOP');
}

export function resumeBroker(): void {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'unpause', 'kafka']);
  else signalKafka('SIGCONT');
}

/** For fault tests: SIGKILL the broker (no clean shutdown, log recovery on restart). */
export async function killBroker(): Promise<void> {
  if (infraMode() === 'docker') run('docker', ['compose', '-f', composeFile, 'kill', '-s', 'SIGKILL', 'kafka']);
  else await killNativeKafka();
}

/** For fault tests: the same for the RabbitMQ node (started with `rabbitmq: true`). */
export async function stopRabbitmq(): Promise<void> {
  if (infraMode() === 'docker') run('docker', [...compose(true), 'stop', 'rabbitmq']);
  else await stopNativeRabbitmq();
}

export async function startRabbitmq(): Promise<void> {
  if (infraMode() === 'docker') run('docker', [...compose(true), 'up', '-d', '--wait', 'rabbitmq']);
  else await startNativeRabbitmq();
}

export async function killRabbitmq(): Promise<void> {
  if (infraMode() === 'docker') run('docker', [...compose(true), 'kill', '-s', 'SIGKILL', 'rabbitmq']);
  else await killNativeRabbitmq();
}

export function pauseRabbitmq(): void {
  if (infraMode() === 'docker') run('docker', [...compose(true), 'pause', 'rabbitmq']);
  else signalRabbitmq('SIGSTOP');
}

export function resumeRabbitmq(): void {
  if (infraMode() === 'docker') run('docker', [...compose(true), 'unpause', 'rabbitmq']);
  else signalRabbitmq('SIGCONT');
}
