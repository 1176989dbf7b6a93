import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, ROOT_DIR, settings } from './settings';
import { InfraError, commandExists, portOpen, run, signal, spawnDetached, stopProcess, waitFor } from './process-utils';

const base = join(INFRA_DIR, 'kafka');
const libDir = join(base, 'libs');
const dataDir = join(base, 'data');
const configFile = join(base, 'server.properties');
const pidFile = join(base, 'kafka.pid');
/** Written once the data was formatted with the SCRAM users: older data is plaintext-only. */
const scramMarker = join(base, 'scram-users-formatted');
export const kafkaLog = join(base, 'kafka.log');
const projectKafkaDir = join(ROOT_DIR, 'infra', 'kafka');

function requireTool(cmd: string, what: string): void {
  if (!commandExists(cmd)) {
    throw new InfraError(
      `${cmd} was not found: ${what} Install it (Debian: apt-get install -y ${cmd === 'java' ? 'openjdk-17-jre-headless' : 'maven'}) or use Docker.`,
    );
  }
}

/** The broker's jars come from Maven Central through the project's own pom.xml. */
export function ensureKafkaJars(): void {
  if (existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('kafka_2.13-'))) return;
  requireTool('mvn', 'Maven fetches the Kafka broker jars.');
  mkdirSync(libDir, { recursive: true });
  console.log('[infra] fetching Kafka broker jars with Maven (first run only)…');
  run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(projectKafkaDir, 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libDir}`,
    ],
    { stdio: 'inherit' },
  );
}

function writeConfig(): void {
  const { host, kafka } = settings;
  const template = readFileSync(join(projectKafkaDir, 'server.properties'), 'utf8');
  const config = template
    .replace('@LOG_DIRS@', dataDir)
    .replaceAll('@HOST@', host)
    .replaceAll('@PORT@', String(kafka.port))
    .replaceAll('@PROXIED_PORT@', String(kafka.proxiedPort))
    .replaceAll('@PROXY_PORT@', String(kafka.proxyPort))
    .replaceAll('@CONTROLLER_PORT@', String(kafka.controllerPort))
    .replaceAll('@ADMIN_PASSWORD@', kafka.users.admin);
  writeFileSync(configFile, config, { mode: 0o600 });
}

/** SCRAM credentials live in the cluster metadata: the users are created when it is formatted. */
function format(): void {
  if (existsSync(join(dataDir, 'meta.properties')) && !existsSync(scramMarker)) {
    console.log('[infra] kafka: data from before SASL/SCRAM; formatting it anew (development data only)');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
  }
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  const users = Object.entries(settings.kafka.users).flatMap(([name, password]) => [
    '--add-scram',
    `SCRAM-SHA-512=[name=${name},password=${password}]`,
  ]);
  run(
    'java',
    java(['kafka.tools.StorageTool', 'format', '-t', settings.kafka.clusterId, '-c', configFile, ...users]),
    {},
    'kafka.tools.StorageTool format (with the SCRAM users)',
  );
  writeFileSync(scramMarker, '');
}

/** Sets a user's password at run time (`admin` logs in with its own), e.g. after its variable changed. */
export function setKafkaPassword(user: string, password: string): void {
  const adminConfig = join(base, 'admin.properties');
  writeFileSync(
    adminConfig,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${settings.kafka.users.admin}";`,
    ].join('\n'),
    { mode: 0o600 },
  );
  const [host, port] = [settings.host, settings.kafka.port];
  run(
    'java',
    java([
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      `${host}:${port}`,
      '--command-config',
      adminConfig,
      '--alter',
      '--add-config',
      `SCRAM-SHA-512=[password=${password}]`,
      '--entity-type',
      'users',
      '--entity-name',
      user,
    ]),
    {},
    `kafka.admin.ConfigCommand (set the password of ${user})`,
  );
}

function java(args: string[]): string[] {
  return [
    `-Xms${settings.kafka.heapMb}m`,
    `-Xmx${settings.kafka.heapMb}m`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${join(projectKafkaDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${base}`,
    '-cp',
    `${libDir}/*`,
    ...args,
  ];
}

export const kafkaRunning = () => portOpen(settings.kafka.port);

export async function startNativeKafka(): Promise<void> {
  if (await kafkaRunning()) return;
  requireTool('java', 'the Kafka broker runs on Java 17+.');
  ensureKafkaJars();
  mkdirSync(dataDir, { recursive: true });
  writeConfig();
  format();
  spawnDetached('java', java(['kafka.Kafka', configFile]), { log: kafkaLog, pid: pidFile });
  // The data port opens only once the broker is unfenced and serving.
  await waitFor('Kafka', kafkaRunning, 90_000, kafkaLog);
}

export async function stopNativeKafka(): Promise<void> {
  await stopProcess(pidFile, 30_000);
}

/** SIGKILL, then wait until the process is gone. */
export async function killNativeKafka(): Promise<void> {
  signalKafka('SIGKILL');
  await stopProcess(pidFile, 10_000);
}

/** For fault tests: SIGKILL, SIGSTOP, SIGCONT the broker process. */
export function signalKafka(sig: NodeJS.Signals): void {
  if (!signal(pidFile, sig)) throw new InfraError('the native Kafka broker is not running');
}
