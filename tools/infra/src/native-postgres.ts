import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { INFRA_DIR, settings } from './settings';
import { InfraError, commandExists, portOpen, run, waitFor } from './process-utils';

const isRoot = () => process.getuid?.() === 0;

/**
 * Where the cluster of the project whose state is in infraDir lives. As root, initdb and
 * postgres run as the postgres user, who cannot enter a clone inside a 0700 folder (root's
 * home, mktemp -d); that cluster goes to /var/tmp instead, at a path derived from infraDir
 * so that up, down and status find it again.
 */
export function postgresClusterDir(infraDir: string): string {
  const inProject = join(infraDir, 'postgres');
  if (!isRoot()) return inProject;
  mkdirSync(infraDir, { recursive: true });
  const reachable = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', infraDir]).status === 0;
  if (reachable) return inProject;
  const key = createHash('sha256').update(resolve(infraDir)).digest('hex').slice(0, 12);
  return join('/var/tmp', `outbox-reference-postgres-${key}`);
}

let clusterDir: string | undefined;
const base = () => (clusterDir ??= postgresClusterDir(INFRA_DIR));
const dataDir = () => join(base(), 'data');
const socketDir = () => join(base(), 'run');
export const postgresLog = () => join(base(), 'postgres.log');

/** Debian keeps initdb/pg_ctl off PATH, in /usr/lib/postgresql/<version>/bin. */
function binDir(): string {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(debian, versions[0], 'bin');
  }
  if (commandExists('pg_config')) {
    const dir = run('pg_config', ['--bindir']).trim();
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new InfraError(
    'PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them, e.g. `apt-get install -y postgresql`, or use Docker.',
  );
}

/** initdb and postgres refuse to run as root: as root, run them as the postgres user. */
function pgCommand(bin: string, args: string[]): void {
  const cmd = join(binDir(), bin);
  if (isRoot()) run('runuser', ['-u', 'postgres', '--', cmd, ...args]);
  else run(cmd, args);
}

function ensureCluster(): void {
  if (existsSync(join(dataDir(), 'PG_VERSION'))) return;
  if (base() !== join(INFRA_DIR, 'postgres'))
    console.log(
      `[infra] postgres: the postgres user cannot enter ${INFRA_DIR}, so the cluster goes to ${base()} (INFRA_DIR=<a directory it can enter> keeps it in the project)`,
    );
  mkdirSync(socketDir(), { recursive: true });
  const pwFile = join(base(), '.pwfile');
  writeFileSync(pwFile, settings.postgres.adminPassword + '\n');
  chmodSync(pwFile, 0o600);
  if (isRoot()) run('chown', ['-R', 'postgres:postgres', base()]);
  pgCommand('initdb', [
    '-D',
    dataDir(),
    '-U',
    settings.postgres.adminUser,
    `--pwfile=${pwFile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
  ]);
}

export async function postgresRunning(): Promise<boolean> {
  return portOpen(settings.postgres.port);
}

export async function startNativePostgres(): Promise<void> {
  if (await postgresRunning()) return;
  ensureCluster();
  const options = [
    `-p ${settings.postgres.port}`,
    `-k ${socketDir()}`,
    `-c listen_addresses=${settings.host}`,
    '-c max_connections=200',
    // Durable, as in production: the outbox's extra insert is measured against a real commit.
    '-c fsync=on',
    '-c synchronous_commit=on',
    '-c full_page_writes=on',
    '-c shared_buffers=128MB',
    // Log-based relays (RELAY_MODE=logical, Debezium) read the WAL through replication slots;
    // a slot whose reader is away keeps WAL, up to this bound (then the slot is invalidated).
    '-c wal_level=logical',
    '-c max_replication_slots=20',
    '-c max_wal_senders=20',
    '-c max_slot_wal_keep_size=1GB',
  ].join(' ');
  pgCommand('pg_ctl', ['-D', dataDir(), '-o', options, '-l', postgresLog(), '-w', '-t', '60', 'start']);
  await waitFor('PostgreSQL', postgresAcceptsQueries, 30_000, postgresLog());
}

/** mode: 'fast' is a clean shutdown, 'immediate' simulates a crash. */
export function stopNativePostgres(mode: 'fast' | 'immediate' = 'fast'): void {
  if (!existsSync(join(dataDir(), 'postmaster.pid'))) return;
  pgCommand('pg_ctl', ['-D', dataDir(), '-m', mode, '-w', 'stop']);
}

export async function postgresAcceptsQueries(): Promise<boolean> {
  const client = new Client(adminConnection('postgres'));
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export function adminConnection(database: string) {
  return {
    host: settings.host,
    port: settings.postgres.port,
    user: settings.postgres.adminUser,
    password: settings.postgres.adminPassword,
    database,
  };
}

/** One query as the admin role, on a connection of its own; for tests and drills. */
export async function queryAsAdmin<T = Record<string, any>>( // eslint-disable-line @typescript-eslint/no-explicit-any
  database: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ ...adminConnection(database), application_name: 'infra-admin' });
  // A session terminated by a fault test fails this query; it must not crash the caller.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
