import { connectRunning, startConnect } from './native-connect';
import { ChildProcess, StdioOptions } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, kafkaEnv, rabbitmqUrl, serviceDatabases, settings, zipkinUrl } from './settings';
import { nativeZipkinAlive } from './native-zipkin';
import { sleep } from './process-utils';
import { spawnTs } from './ts-process';

export type ServiceName = 'order-service' | 'shipping-service' | 'email-service';

const portOffsets: Record<ServiceName, number> = { 'order-service': 0, 'shipping-service': 1, 'email-service': 2 };
const databases: Record<ServiceName, (typeof serviceDatabases)[number]['database']> = {
  'order-service': 'orders',
  'shipping-service': 'shipping',
  'email-service': 'email',
};

export const serviceNames = Object.keys(portOffsets) as ServiceName[];
export const servicePort = (name: ServiceName): number => settings.servicePortBase + portOffsets[name];
export const serviceUrl = (name: ServiceName, port = servicePort(name)) => `http://${settings.host}:${port}`;
export const logDir = join(INFRA_DIR, 'logs');

/** The environment a service needs to reach this project's infrastructure. */
export function serviceEnv(name: ServiceName): NodeJS.ProcessEnv {
  const db = serviceDatabases.find((d) => d.database === databases[name]);
  if (!db) throw new Error(`no database defined for ${name}`);
  return {
    PORT: String(servicePort(name)),
    HOST: settings.host,
    BROKER: settings.broker,
    ...kafkaEnv(name),
    ...(settings.broker === 'rabbitmq' ? { RABBITMQ_URL: rabbitmqUrl(name) } : {}),
    DB_HOST: settings.host,
    DB_PORT: String(settings.postgres.port),
    DB_NAME: db.database,
    DB_USER: db.role,
    DB_PASSWORD: db.password,
    SMTP_HOST: settings.host,
    SMTP_PORT: String(settings.smtp.port),
    OPERATOR_TOKEN: settings.operatorToken,
    LOG_LEVEL: process.env.SERVICE_LOG_LEVEL ?? 'info',
    // Traces when Zipkin is asked for or runs (started by infra:up); none otherwise.
    ...(process.env.INFRA_ZIPKIN === '1' || nativeZipkinAlive() ? { ZIPKIN_URL: zipkinUrl() } : {}),
  };
}

/** How a service process ended: the signal that killed it, or its exit code. */
export type ProcessEnd = NodeJS.Signals | number | null;

/** Exits someone asked for (Ctrl-C, `kill`, a clean exit), as opposed to a crash; systemd's Restart=on-failure draws the same line. */
export const stoppedOnPurpose = (end: ProcessEnd) =>
  end === 0 || end === 'SIGTERM' || end === 'SIGINT' || end === 'SIGHUP';
export const describeEnd = (end: ProcessEnd) =>
  typeof end === 'string' ? `killed by ${end}` : `exited with code ${end}`;

export interface RunningService {
  name: ServiceName;
  url: string;
  port: number;
  /** What it was started with on top of serviceEnv(name): a restart gets the same. */
  extraEnv: NodeJS.ProcessEnv;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the signal (or exit code) the process ended with. */
  exited: Promise<ProcessEnd>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts services concurrently; if one fails, stops the others before throwing. */
export async function startServices(names: ServiceName[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningService[]> {
  const results = await Promise.allSettled(names.map((name) => startService(name, extraEnv)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((s) => s.stop()));
    throw failure.reason;
  }
  // Debezium reads the outbox tables, which the producers create as they start (migrations).
  const producers = names.some((n) => n === 'order-service' || n === 'shipping-service');
  if ((extraEnv.RELAY_MODE ?? process.env.RELAY_MODE) === 'debezium' && producers && !(await connectRunning()))
    await startConnect();
  return started;
}

/**
 * Starts a service as its own process and resolves once it answers: GET /health/ready
 * (everything it depends on is up) by default, or /health/live (the process serves HTTP)
 * for tests that start it while a dependency is down.
 */
export async function startService(
  name: ServiceName,
  extraEnv: NodeJS.ProcessEnv = {},
  opts: { timeoutMs?: number; until?: 'ready' | 'live' } = {},
): Promise<RunningService> {
  const { timeoutMs = 60_000, until = 'ready' } = opts;
  mkdirSync(logDir, { recursive: true });
  // A replica on another port (extraEnv.PORT) gets its own URL and log file.
  const port = extraEnv.PORT ? Number(extraEnv.PORT) : servicePort(name);
  const logFile = join(logDir, port === servicePort(name) ? `${name}.log` : `${name}-${port}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawnService(name, extraEnv, ['ignore', 'pipe', 'pipe']);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<ProcessEnd>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const service: RunningService = {
    name,
    url: serviceUrl(name, port),
    port,
    extraEnv,
    process: child,
    logFile,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  if (await answersHealth({ name, url: service.url, process: child, logHint: logFile }, until, timeoutMs))
    return service;
  await service.stop('SIGKILL');
  throw new Error(`${name} (pid ${child.pid}) was not ${until} within ${timeoutMs / 1000}s; see ${logFile}`);
}

/** Runs a service's main.ts with serviceEnv(name) and extraEnv on top of this process's environment. */
export const spawnService = (name: ServiceName, extraEnv: NodeJS.ProcessEnv, stdio: StdioOptions): ChildProcess =>
  spawnTs(`apps/${name}/src/main.ts`, { ...serviceEnv(name), ...extraEnv }, stdio);

/**
 * Polls GET /health/<until> of a service being started: true once it answers 200, false
 * when timeoutMs pass first; throws as soon as the process exits.
 */
export async function answersHealth(
  service: { name: ServiceName; url: string; process: ChildProcess; logHint: string },
  until: 'ready' | 'live',
  timeoutMs: number,
): Promise<boolean> {
  const { name, url, process: child, logHint } = service;
  const startedAt = Date.now();
  while (Date.now() - startedAt < timeoutMs) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.signalCode ?? child.exitCode}) during start; see ${logHint}`);
    try {
      const res = await fetch(`${url}/health/${until}`, { signal: AbortSignal.timeout(5000) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  return false;
}
