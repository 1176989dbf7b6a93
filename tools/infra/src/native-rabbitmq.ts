import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, rabbitmqServiceUsers, ROOT_DIR, settings } from './settings';
import { InfraError, portOpen, run, signal, stopProcess } from './process-utils';

/** Debian's scripts, called directly: the /usr/sbin wrappers switch to the system user and its cookie. */
const binDir = '/usr/lib/rabbitmq/bin';
const base = join(INFRA_DIR, 'rabbitmq');
const configFile = join(base, 'rabbitmq.conf');
const pidFile = join(base, 'rabbitmq.pid');
export const rabbitmqLog = join(base, 'log', 'rabbitmq.log');
const projectRabbitmqDir = join(ROOT_DIR, 'infra', 'rabbitmq');

/** Named after its port, so that nodes of two checkouts can share the machine's epmd. */
const nodeName = () => `outbox-reference-${settings.rabbitmq.port}@localhost`;

/**
 * Everything the node keeps is under INFRA_DIR/rabbitmq, the Erlang cookie included (HOME);
 * the system node's env file, name and cookie stay out of it.
 */
function nodeEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: join(base, 'home'),
    RABBITMQ_NODENAME: nodeName(),
    RABBITMQ_DIST_PORT: String(settings.rabbitmq.distPort),
    RABBITMQ_CONFIG_FILE: configFile,
    RABBITMQ_CONF_ENV_FILE: join(projectRabbitmqDir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_LOGS: rabbitmqLog,
    RABBITMQ_PID_FILE: pidFile,
  };
}

function writeConfig(): void {
  const { host, rabbitmq } = settings;
  const template = readFileSync(join(projectRabbitmqDir, 'rabbitmq.conf'), 'utf8');
  const config = template
    .replaceAll('@HOST@', host)
    .replaceAll('@PORT@', String(rabbitmq.port))
    .replaceAll('@ADMIN_USER@', rabbitmq.adminUser)
    .replaceAll('@ADMIN_PASSWORD@', rabbitmq.adminPassword);
  writeFileSync(configFile, config);
  writeFileSync(join(base, 'enabled_plugins'), '[].\n');
}

const rabbitmqctl = (args: string[]) =>
  run(join(binDir, 'rabbitmqctl'), ['-n', nodeName(), ...args], { env: nodeEnv() });

export const rabbitmqRunning = () => portOpen(settings.rabbitmq.port);

export async function startNativeRabbitmq(): Promise<void> {
  if (await rabbitmqRunning()) return;
  if (!existsSync(join(binDir, 'rabbitmq-server'))) {
    throw new InfraError(
      `RabbitMQ was not found (${binDir}/rabbitmq-server). Install it (Debian: apt-get install -y rabbitmq-server) or use Docker.`,
    );
  }
  for (const dir of ['home', 'log', 'mnesia']) mkdirSync(join(base, dir), { recursive: true });
  writeConfig();
  run(join(binDir, 'rabbitmq-server'), ['-detached'], { env: nodeEnv() });
  try {
    // The node writes its pid file as it boots; `wait` waits for the file, then for the boot.
    rabbitmqctl(['wait', pidFile, '--timeout', '90']);
  } catch (err) {
    throw new InfraError(`RabbitMQ did not start: ${(err as Error).message.trim()}; see ${rabbitmqLog}`);
  }
}

/** The passwords infra/rabbitmq/users.sh sets, from tools/infra's settings. */
export const rabbitmqUsersEnv = (): NodeJS.ProcessEnv => ({
  INFRA_RABBITMQ_PASSWORD: settings.rabbitmq.adminPassword,
  ORDER_RABBITMQ_PASSWORD: rabbitmqServiceUsers['order-service'],
  SHIPPING_RABBITMQ_PASSWORD: rabbitmqServiceUsers['shipping-service'],
  EMAIL_RABBITMQ_PASSWORD: rabbitmqServiceUsers['email-service'],
});

/** Creates or updates the users and their permissions on the running node (each `infra:up`). */
export function ensureNativeRabbitmqUsers(): string {
  const env = { ...nodeEnv(), ...rabbitmqUsersEnv(), RABBITMQCTL: `${join(binDir, 'rabbitmqctl')} -n ${nodeName()}` };
  return run('sh', [join(projectRabbitmqDir, 'users.sh')], { env }).trim();
}

export async function stopNativeRabbitmq(): Promise<void> {
  await stopProcess(pidFile, 30_000);
}

/** SIGKILL, then wait until the process is gone. */
export async function killNativeRabbitmq(): Promise<void> {
  signalRabbitmq('SIGKILL');
  await stopProcess(pidFile, 10_000);
}

/** For fault tests: SIGKILL, SIGSTOP, SIGCONT the node's Erlang VM. */
export function signalRabbitmq(sig: NodeJS.Signals): void {
  if (!signal(pidFile, sig)) throw new InfraError('the native RabbitMQ node is not running');
}
