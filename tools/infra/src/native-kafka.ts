import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, ROOT_DIR, settings } from './settings';
import {
  InfraError,
  commandExists,
  portOpen,
  run,
  signal,
  spawnDetached,
  stopProcess,
  waitFor,
  writeSecret,
} from './process-utils';

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

// They end up in a SCRAM credential spec (`[name=…,password=…]`), a JAAS line and, in Compose, sed.
const UNSAFE_PASSWORD = /[\s,\]"'\\;=$&|]/;

/** Each Kafka password, checked before it is written anywhere. */
export function checkKafkaPasswords(): void {
  for (const [user, password] of Object.entries(settings.kafka.users))
    if (!password || UNSAFE_PASSWORD.test(password))
      throw new InfraError(
        `the Kafka password of ${user} must be non-empty, without spaces or any of , ] " ' \\ ; = $ & |`,
      );
}

function writeConfig(): void {
  const { host, kafka } = settings;
  const values: Record<string, string | number> = {
    LOG_DIRS: dataDir,
    HOST: host,
    PORT: kafka.port,
    PROXIED_PORT: kafka.proxiedPort,
    PROXY_PORT: kafka.proxyPort,
    CONTROLLER_PORT: kafka.controllerPort,
    ADMIN_PASSWORD: kafka.users.admin,
  };
  const template = readFileSync(join(projectKafkaDir, 'server.properties'), 'utf8');
  writeSecret(
    configFile,
    template.replace(/@([A-Z_]+)@/g, (_, key: string) => String(values[key])),
  );
}

const adminHash = () => createHash('sha256').update(settings.kafka.users.admin).digest('hex');

/**
 * SCRAM credentials live in the cluster metadata: the users are created when it is formatted.
 * The broker logs in to itself as admin, so a changed admin password would only show as a
 * start that times out: the marker keeps a hash of the one the data was formatted with.
 */
function format(): void {
  // Data formatted before the broker required SASL has no users: development data, started afresh.
  if (existsSync(join(dataDir, 'meta.properties')) && !existsSync(scramMarker)) {
    console.log('[infra] kafka: data without SCRAM users; formatting it anew (development data only)');
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
  }
  if (existsSync(join(dataDir, 'meta.properties'))) {
    const formattedWith = readFileSync(scramMarker, 'utf8').trim();
    if (formattedWith && formattedWith !== adminHash())
      throw new InfraError(
        `KAFKA_ADMIN_PASSWORD differs from the one the broker was formatted with: set it back, or remove ${dataDir} to start over`,
      );
    return;
  }
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
  writeFileSync(scramMarker, adminHash());
}

/** Sets a user's password at run time (`admin` logs in with its own), e.g. after its variable changed. */
export function setKafkaPassword(user: string, password: string): void {
  const adminConfig = join(base, 'admin.properties');
  writeSecret(
    adminConfig,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${settings.kafka.users.admin}";`,
    ].join('\n'),
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
      // On the command line for the moment it runs: ConfigCommand reads no SCRAM credential from a file.
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
  checkKafkaPasswords();
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
