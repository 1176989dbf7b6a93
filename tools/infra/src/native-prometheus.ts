import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { INFRA_DIR, ROOT_DIR, settings } from './settings';
import { InfraError, commandExists, portOpen, spawnDetached, stopProcess, waitFor } from './process-utils';
import { serviceNames, servicePort, type ServiceName } from './services';

const base = join(INFRA_DIR, 'prometheus');
const dataDir = join(base, 'data');
const configFile = join(base, 'prometheus.yml');
const pidFile = join(base, 'prometheus.pid');
export const prometheusLog = join(base, 'prometheus.log');
const projectDir = join(ROOT_DIR, 'infra', 'prometheus');

export const prometheusUrl = (): string => `http://${settings.host}:${settings.prometheus.port}`;

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[] }[];
}

/**
 * Compose's infra/prometheus/prometheus.yml for this run: each job (named after its service)
 * scrapes 127.0.0.1 on that service's port here, and the rules are read where they lie.
 */
export function renderPrometheusConfig(): string {
  const config = parse(readFileSync(join(projectDir, 'prometheus.yml'), 'utf8')) as {
    rule_files: string[];
    scrape_configs: ScrapeConfig[];
  };
  config.rule_files = config.rule_files.map((file) => join(projectDir, file));
  for (const job of config.scrape_configs) {
    if (!serviceNames.includes(job.job_name as ServiceName))
      throw new InfraError(`infra/prometheus/prometheus.yml: job ${job.job_name} is not a service`);
    job.static_configs = [{ targets: [`${settings.host}:${servicePort(job.job_name as ServiceName)}`] }];
  }
  return `# Rendered from infra/prometheus/prometheus.yml for this run; rewritten at each start.\n${stringify(config)}`;
}

const ready = async (): Promise<boolean> => {
  try {
    return (await fetch(`${prometheusUrl()}/-/ready`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
};

export const prometheusRunning = () => portOpen(settings.prometheus.port);

/** Debian's prometheus (apt-get install prometheus) on this run's port, data under .infra. */
export async function startNativePrometheus(): Promise<void> {
  if (await prometheusRunning()) return;
  if (!commandExists('prometheus'))
    throw new InfraError('prometheus was not found: install it (Debian: apt-get install -y prometheus) or use Docker.');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(configFile, renderPrometheusConfig());
  spawnDetached(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      // A development aid: a day of samples is plenty, and keeps .infra small.
      '--storage.tsdb.retention.time=1d',
      `--web.listen-address=${settings.host}:${settings.prometheus.port}`,
    ],
    { log: prometheusLog, pid: pidFile },
  );
  await waitFor('Prometheus', ready, 30_000, prometheusLog);
}

export const stopNativePrometheus = () => stopProcess(pidFile);
