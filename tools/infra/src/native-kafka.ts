import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, KafkaNode, kafkaBrokers, kafkaNodes, ROOT_DIR, settings } from './settings';
import {
  InfraError,
  commandExists,
  isAlive,
  portOpen,
  readPid,
  run,
  signal,
  spawnDetached,
  stopProcess,
  waitFor,
  writeSecret,
} from './process-utils';

const base = join(INFRA_DIR, 'kafka');
const libDir = join(base, 'libs');
const projectKafkaDir = join(ROOT_DIR, 'infra', 'kafka');

/** Where one node keeps its data, configuration, pid and log: the single broker in .infra/kafka itself. */
function filesOf(id: number, cluster = settings.kafka.brokers > 1) {
  const dir = cluster ? join(base, 'cluster', `node-${id}`) : base;
  return {
    dir,
    dataDir: join(dir, 'data'),
    configFile: join(dir, 'server.properties'),
    pidFile: join(dir, 'kafka.pid'),
    /** Written once the data was formatted with the SCRAM users: older data is plaintext-only. */
    scramMarker: join(dir, 'scram-users-formatted'),
    log: join(dir, 'kafka.log'),
  };
}
type NodeFiles = ReturnType<typeof filesOf>;

/** Each node's log, as `infra:status` shows them and fault tests read them. */
export const kafkaLogs = (): string[] => kafkaNodes().map((n) => filesOf(n.id).log);

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

/** The template's `@KEY@`s filled in; in cluster mode cluster.properties laid over it, key by key. */
export function renderConfig(node: KafkaNode, nodes: KafkaNode[], dataDir: string, read = readProjectFile): string {
  const { host, kafka } = settings;
  const values: Record<string, string | number> = {
    NODE_ID: node.id,
    QUORUM_VOTERS: nodes.map((n) => `${n.id}@${host}:${n.controllerPort}`).join(','),
    LOG_DIRS: dataDir,
    HOST: host,
    PORT: node.port,
    PROXIED_PORT: node.proxiedPort,
    PROXY_PORT: node.proxyPort,
    CONTROLLER_PORT: node.controllerPort,
    ADMIN_PASSWORD: kafka.users.admin,
  };
  const fill = (text: string) => text.replace(/@([A-Z_]+)@/g, (_, key: string) => String(values[key]));
  const config = fill(read('server.properties'));
  if (nodes.length === 1) return config;
  const overrides = new Map(
    fill(read('cluster.properties'))
      .split('\n')
      .filter((line) => /^[a-z]/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line] as const),
  );
  const lines = config
    .trimEnd()
    .split('\n')
    .map((line) => {
      const key = line.slice(0, line.indexOf('='));
      const override = overrides.get(key);
      overrides.delete(key);
      return override ?? line;
    });
  return `${[...lines, ...overrides.values()].join('\n')}\n`;
}

const readProjectFile = (name: string) => readFileSync(join(projectKafkaDir, name), 'utf8');

const adminHash = () => createHash('sha256').update(settings.kafka.users.admin).digest('hex');

/**
 * SCRAM credentials live in the cluster metadata: the users are created when it is formatted
 * (every node of a cluster with the same ones and the same cluster id). The broker logs in to
 * itself as admin, so a changed admin password would only show as a start that times out: the
 * marker keeps a hash of the one the data was formatted with.
 */
function format({ dataDir, scramMarker, configFile }: NodeFiles): void {
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
  run(
    'java',
    java([
      'kafka.admin.ConfigCommand',
      '--bootstrap-server',
      kafkaBrokers().join(','),
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

function java(args: string[], logDir = base): string[] {
  return [
    `-Xms${settings.kafka.heapMb}m`,
    `-Xmx${settings.kafka.heapMb}m`,
    '-XX:+UseG1GC',
    `-Dlog4j2.configurationFile=${join(projectKafkaDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${logDir}`,
    '-cp',
    `${libDir}/*`,
    ...args,
  ];
}

const nodeOf = (id: number): KafkaNode => {
  const node = kafkaNodes().find((n) => n.id === id);
  if (!node) throw new InfraError(`there is no Kafka node ${id} (INFRA_KAFKA_BROKERS=${settings.kafka.brokers})`);
  return node;
};

/** Every node of the configured mode serves clients. */
export const kafkaRunning = async () => (await Promise.all(kafkaNodes().map((n) => portOpen(n.port)))).every(Boolean);
export const kafkaNodeRunning = (id: number) => portOpen(nodeOf(id).port);

/** The other mode's broker holds node 1's ports and data layout: one mode at a time. */
function checkNoOtherMode(): void {
  const cluster = settings.kafka.brokers > 1;
  const other = cluster ? [filesOf(1, false)] : [1, 2, 3].map((id) => filesOf(id, true));
  if (other.some((f) => isAlive(readPid(f.pidFile))))
    throw new InfraError(
      `a Kafka ${cluster ? 'single broker' : 'cluster'} is running: stop it first (npm run infra:down), then start with INFRA_KAFKA_BROKERS=${settings.kafka.brokers}`,
    );
}

/** Writes a node's configuration, formats its data once and starts it, without waiting. */
function spawnNode(node: KafkaNode): NodeFiles {
  const files = filesOf(node.id);
  mkdirSync(files.dataDir, { recursive: true });
  writeSecret(files.configFile, renderConfig(node, kafkaNodes(), files.dataDir));
  format(files);
  spawnDetached('java', java(['kafka.Kafka', files.configFile], files.dir), { log: files.log, pid: files.pidFile });
  return files;
}

export async function startNativeKafka(): Promise<void> {
  if (await kafkaRunning()) return;
  requireTool('java', 'the Kafka broker runs on Java 17+.');
  ensureKafkaJars();
  checkKafkaPasswords();
  checkNoOtherMode();
  const stopped = [];
  for (const node of kafkaNodes()) if (!(await portOpen(node.port))) stopped.push(node);
  // A node's data port opens only once it is unfenced and serving: in a cluster, once a quorum of
  // controllers runs, so every node is started before any is waited for.
  const started = stopped.map((node) => [node, spawnNode(node)] as const);
  for (const [node, files] of started) await serving(node, files);
}

const serving = (node: KafkaNode, files: NodeFiles) =>
  waitFor(`Kafka node ${node.id}`, () => portOpen(node.port), 120_000, files.log);

/** For fault tests: one node of the cluster started again (its peers are running). */
export async function startKafkaNode(id: number): Promise<void> {
  const node = nodeOf(id);
  if (await portOpen(node.port)) return;
  await serving(node, spawnNode(node));
}

/** Stops the nodes of either mode, whichever run. */
export async function stopNativeKafka(): Promise<void> {
  const all = [filesOf(1, false), ...[1, 2, 3].map((id) => filesOf(id, true))];
  await Promise.all(all.map((f) => stopProcess(f.pidFile, 30_000)));
}

/** SIGKILL, then wait until the process is gone: every node, or the one given. */
export async function killNativeKafka(id?: number): Promise<void> {
  const nodes = id === undefined ? kafkaNodes() : [nodeOf(id)];
  const killed = nodes.filter((node) => signal(filesOf(node.id).pidFile, 'SIGKILL'));
  if (killed.length === 0) throw new InfraError(`the native Kafka ${id ? `node ${id}` : 'broker'} is not running`);
  await Promise.all(nodes.map((node) => stopProcess(filesOf(node.id).pidFile, 10_000)));
}

/** For fault tests: SIGKILL, SIGSTOP, SIGCONT the broker process (every node of a cluster). */
export function signalKafka(sig: NodeJS.Signals): void {
  const signalled = kafkaNodes().filter((n) => signal(filesOf(n.id).pidFile, sig));
  if (signalled.length === 0) throw new InfraError('the native Kafka broker is not running');
}
