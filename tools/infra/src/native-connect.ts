import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { INFRA_DIR, ROOT_DIR, kafkaBrokers, settings } from './settings';
import { adminConnection, queryAsAdmin } from './native-postgres';
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
import { ddl } from './service-databases';

/**
 * Debezium as a relay: a Kafka Connect standalone worker (native mode) running the Debezium
 * PostgreSQL connector with the Outbox Event Router, one connector per producer database.
 * It reads the outbox through the publication the services' migrations create, so it starts
 * only once they have migrated their databases.
 */
const base = join(INFRA_DIR, 'connect');
const libDir = join(base, 'libs');
const pluginDir = join(base, 'plugins');
const pidFile = join(base, 'connect.pid');
const offsetsFile = join(base, 'connect.offsets');
export const connectLog = join(base, 'connect.log');
const projectDir = join(ROOT_DIR, 'infra', 'debezium');

/** What the services' migration CreateOutboxPublication1764000000010 creates (tooling may not import the library). */
const publication = 'outbox_publication';

/** The role Debezium logs in as: it may stream the WAL and read the outbox tables, nothing else. */
export const debeziumRole = 'debezium';

/** A connector: the database whose outbox it reads, and its replication slot. */
export interface DebeziumConnector {
  name: string;
  database: string;
  slot: string;
}

/** One connector per producer database, each with a replication slot of its own. */
export const debeziumConnectors: readonly DebeziumConnector[] = [
  { name: 'outbox-orders', database: 'orders', slot: 'debezium_orders' },
  { name: 'outbox-shipping', database: 'shipping', slot: 'debezium_shipping' },
];

export interface ConnectStatus {
  running: boolean;
  /** Per connector: its state and its tasks' (RUNNING, FAILED, PAUSED, UNASSIGNED…). */
  connectors: Record<string, { state: string; tasks: { state: string; trace?: string }[] }>;
}

const log = (line: string) => console.log(`[infra] connect: ${line}`);
/** Kafka Connect's REST API (connector status: `/connectors/<name>/status`). */
export const connectUrl = () => `http://${settings.host}:${settings.connect.port}`;
const restUrl = (path: string) => `${connectUrl()}${path}`;

/** The worker's jars and the connector plugin come from Maven Central through infra/debezium/pom.xml. */
export function ensureConnectJars(): void {
  const have =
    existsSync(libDir) &&
    readdirSync(libDir).some((f) => f.startsWith('connect-runtime-')) &&
    existsSync(join(pluginDir, 'debezium-connector-postgres'));
  if (have) return;
  if (!commandExists('mvn')) throw new InfraError('mvn was not found: Maven fetches Kafka Connect and Debezium.');
  log('fetching Kafka Connect and the Debezium connector with Maven (first run only)…');
  run(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(projectDir, 'pom.xml'),
      'dependency:copy-dependencies@connect-libs',
      'dependency:unpack@debezium-plugin',
      `-Dconnect.dir=${base}`,
    ],
    { stdio: 'inherit' },
  );
}

/**
 * The `debezium` role, with LOGIN and REPLICATION, CONNECT on the connectors' databases (the
 * producers' by default) and SELECT on their outbox tables only (no business table). The tables and the publication
 * come from the services' migrations, so they must exist first.
 */
export async function ensureDebeziumRole(connectors = debeziumConnectors): Promise<void> {
  for (const { database } of connectors) {
    const [found] = await queryAsAdmin<{ outbox: boolean; publication: boolean }>(
      database,
      `SELECT to_regclass('public.outbox') IS NOT NULL AS outbox,
              EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1) AS publication`,
      [publication],
    ).catch((err: Error) => {
      throw new InfraError(`database ${database}: ${err.message}`);
    });
    if (!found.outbox || !found.publication)
      throw new InfraError(
        `database ${database} has no ${found.outbox ? `publication ${publication}` : 'public.outbox table'} yet: ` +
          'start the services once so they migrate their databases (npm run service, or npm run demo), then start Connect',
      );
  }
  const admin = new Client(adminConnection('postgres'));
  await admin.connect();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [debeziumRole])).rowCount !== 0;
    const attributes = 'LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE';
    const verb = exists ? 'ALTER' : 'CREATE';
    await ddl(admin, `${verb} ROLE %I WITH ${attributes} PASSWORD %L`, debeziumRole, settings.connect.debeziumPassword);
    for (const { database } of connectors) {
      await ddl(admin, 'GRANT CONNECT ON DATABASE %I TO %I', database, debeziumRole);
      await queryAsAdmin(database, `GRANT SELECT ON public.outbox TO ${debeziumRole}`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * Renders infra/debezium's templates with this run's ports and password into .infra/connect/.
 * A connector whose slot exists streams from it (`snapshot.mode=no_data`): with no offsets
 * (lost, or a kill before the first flush) `initial` would snapshot a table whose rows are
 * deleted on insert, then stream from the snapshot's position and skip what the slot held.
 */
async function renderConfigs(connectors: readonly DebeziumConnector[]): Promise<string[]> {
  const existing = new Set(
    (await queryAsAdmin<{ slot_name: string }>('postgres', 'SELECT slot_name FROM pg_replication_slots')).map(
      (r) => r.slot_name,
    ),
  );
  const fill = (template: string, values: Record<string, string | number>) =>
    Object.entries(values).reduce(
      (text, [key, value]) => text.replaceAll(`@${key}@`, () => String(value)), // a password may hold `$&`
      readFileSync(join(projectDir, template), 'utf8'),
    );
  const worker = join(base, 'worker.properties');
  writeSecret(
    worker,
    fill('worker.properties', {
      KAFKA_BOOTSTRAP: kafkaBrokers().join(','),
      HOST: settings.host,
      CONNECT_PORT: settings.connect.port,
      CONNECT_DIR: base,
      KAFKA_PASSWORD: settings.kafka.users.connect,
    }),
  );
  const files = connectors.map(({ name, database, slot }) => {
    const file = join(base, `${name}.properties`);
    const text = fill('outbox-connector.properties', {
      CONNECTOR: name,
      HOST: settings.host,
      PG_PORT: settings.postgres.port,
      DEBEZIUM_DB_PASSWORD: settings.connect.debeziumPassword,
      DATABASE: database,
      SLOT: slot,
      SNAPSHOT_MODE: existing.has(slot) ? 'no_data' : 'initial',
    });
    writeSecret(file, text);
    return file;
  });
  return [worker, ...files];
}

/** Where the REST API answers: up, or the worker is still starting (or gone). */
export const connectRunning = () => portOpen(settings.connect.port);

export async function connectStatus(): Promise<ConnectStatus> {
  if (!(await connectRunning())) return { running: false, connectors: {} };
  const res = await fetch(restUrl('/connectors?expand=status'));
  if (!res.ok) throw new InfraError(`Kafka Connect answered ${res.status} to GET /connectors`);
  const body = (await res.json()) as Record<
    string,
    { status: { connector: { state: string }; tasks: { state: string; trace?: string }[] } }
  >;
  const connectors = Object.fromEntries(
    Object.entries(body).map(([name, { status }]) => [name, { state: status.connector.state, tasks: status.tasks }]),
  );
  return { running: true, connectors };
}

const allRunning = (status: ConnectStatus, connectors: readonly DebeziumConnector[]) =>
  connectors.every(({ name }) => {
    const c = status.connectors[name];
    return c?.state === 'RUNNING' && c.tasks.length > 0 && c.tasks.every((t) => t.state === 'RUNNING');
  });

const logTail = (lines = 30) =>
  existsSync(connectLog) ? readFileSync(connectLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';

/**
 * Starts the worker with its connectors (idempotent) and waits until they and their tasks
 * run. Fails with the log's last lines when the worker dies, a task fails, or it times out.
 * `connectors` replaces the producers' (the bench reads a database of its own); a worker that
 * already runs keeps the connectors it was started with.
 */
export async function startConnect(
  opts: { connectors?: readonly DebeziumConnector[]; timeoutMs?: number } = {},
): Promise<void> {
  const { connectors = debeziumConnectors, timeoutMs = 120_000 } = opts;
  const t0 = Date.now();
  if (!(await connectRunning())) {
    if (!commandExists('java')) throw new InfraError('java was not found: Kafka Connect runs on Java 17+.');
    ensureConnectJars();
    await ensureDebeziumRole(connectors);
    mkdirSync(base, { recursive: true });
    const configs = await renderConfigs(connectors);
    log(`starting (log: ${connectLog})…`);
    spawnDetached(
      'java',
      [
        '-Xms256m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        `-Dlog4j2.configurationFile=${join(projectDir, 'log4j2.properties')}`,
        '-cp',
        `${libDir}/*`,
        'org.apache.kafka.connect.cli.ConnectStandalone',
        ...configs,
      ],
      { log: connectLog, pid: pidFile },
    );
  }
  const pid = readPid(pidFile);
  let last = '';
  try {
    await waitFor(
      'Kafka Connect and its Debezium connectors',
      async () => {
        if (pid !== undefined && !isAlive(pid)) throw new InfraError('Kafka Connect exited');
        const status = await connectStatus().catch(() => undefined);
        if (!status?.running) return false;
        const failed = Object.entries(status.connectors).find(
          ([, c]) => c.state === 'FAILED' || c.tasks.some((t) => t.state === 'FAILED'),
        );
        if (failed) throw new InfraError(`connector ${failed[0]} FAILED: ${failed[1].tasks[0]?.trace ?? ''}`);
        const line = connectors
          .map(({ name }) => `${name} ${status.connectors[name]?.tasks.map((t) => t.state).join(',') || 'pending'}`)
          .join(', ');
        if (line !== last) log(`${((Date.now() - t0) / 1000).toFixed(1)}s: REST up; ${(last = line)}`);
        return allRunning(status, connectors);
      },
      timeoutMs,
      connectLog,
    );
  } catch (err) {
    throw new InfraError(`${(err as Error).message}\n--- last lines of ${connectLog}:\n${logTail()}`);
  }
  log(`connectors and tasks RUNNING after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
}

/** SIGTERM: the worker commits its offsets and closes its replication connections. */
export async function stopConnect(): Promise<void> {
  await stopProcess(pidFile, 30_000);
}

/** SIGKILL, for fault tests: offsets not flushed since the last interval are replayed on restart. */
export async function killConnect(): Promise<void> {
  signal(pidFile, 'SIGKILL');
  await stopProcess(pidFile, 10_000);
}

/**
 * For turning Debezium off for good (and for tests): drops the `debezium_*` replication slots
 * and deletes the offsets file. A slot nobody reads keeps all WAL written after it (up to
 * max_slot_wal_keep_size), and offsets without their slot would point into WAL that is gone.
 */
export async function dropDebeziumSlots(): Promise<string[]> {
  if (await connectRunning()) throw new InfraError('stop Kafka Connect first (npm run infra:connect -- down)');
  // A walsender of a worker that was just stopped may still hold its slot for a moment.
  const slots = await queryAsAdmin<{ slot_name: string }>(
    'postgres',
    `SELECT slot_name, pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name LIKE 'debezium\\_%'`,
  );
  for (const { slot_name } of slots)
    await waitFor(
      `replication slot ${slot_name} released`,
      () =>
        queryAsAdmin('postgres', 'SELECT pg_drop_replication_slot($1)', [slot_name]).then(
          () => true,
          (err: Error) => (/is active/.test(err.message) ? false : Promise.reject(err)),
        ),
      10_000,
    );
  rmSync(offsetsFile, { force: true });
  return slots.map((s) => s.slot_name);
}
