import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA_DIR, ROOT_DIR, settings, zipkinUrl } from './settings';
import { InfraError, commandExists, isAlive, readPid, run, spawnDetached, stopProcess, waitFor } from './process-utils';

const base = join(INFRA_DIR, 'zipkin');
const jar = join(base, 'zipkin.jar');
const pidFile = join(base, 'zipkin.pid');
export const zipkinLog = join(base, 'zipkin.log');

/** Answers its health check: the port alone opens before the server serves. */
export async function zipkinRunning(): Promise<boolean> {
  try {
    return (await fetch(`${zipkinUrl()}/health`, { signal: AbortSignal.timeout(1000) })).ok;
  } catch {
    return false;
  }
}

/** Started by this tool and alive; synchronous, for serviceEnv(). */
export const nativeZipkinAlive = (): boolean => isAlive(readPid(pidFile));

/** The server jar (self-contained) comes from Maven Central through infra/zipkin/pom.xml. */
function ensureZipkinJar(): void {
  if (existsSync(jar)) return;
  if (!commandExists('mvn')) throw new InfraError('mvn was not found: Maven fetches the Zipkin server jar.');
  mkdirSync(base, { recursive: true });
  console.log('[infra] fetching the Zipkin server jar with Maven (first run only)…');
  const pom = join(ROOT_DIR, 'infra', 'zipkin', 'pom.xml');
  run('mvn', ['-q', '-B', '-f', pom, 'dependency:copy@zipkin-exec', `-Dzipkin.outputDirectory=${base}`], {
    stdio: 'inherit',
  });
}

/** In-memory storage: traces are for looking at while the system runs, and go with the process. */
export async function startNativeZipkin(): Promise<void> {
  if (await zipkinRunning()) return;
  if (!commandExists('java')) throw new InfraError('java was not found: Zipkin runs on Java 17+.');
  ensureZipkinJar();
  const args = [
    '-Xms64m',
    '-Xmx256m',
    '-jar',
    jar,
    `--armeria.ports[0].port=${settings.zipkin.port}`,
    `--armeria.ports[0].ip=${settings.host}`,
  ];
  spawnDetached('java', args, { log: zipkinLog, pid: pidFile }, { env: { ...process.env, STORAGE_TYPE: 'mem' } });
  await waitFor('Zipkin', zipkinRunning, 60_000, zipkinLog);
}

export const stopNativeZipkin = () => stopProcess(pidFile);
