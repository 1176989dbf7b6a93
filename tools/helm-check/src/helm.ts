import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { commandExists, INFRA_DIR, InfraError, ROOT_DIR, run } from '@shop/infra';

export const CHART_DIR = join(ROOT_DIR, 'deploy', 'helm', 'outbox-shop');
const libDir = join(INFRA_DIR, 'helm', 'libs');
const tool = join(ROOT_DIR, 'infra', 'helm', 'HelmTool.java');

/** helm-java and its native Helm library come from Maven Central through infra/helm/pom.xml. */
export function ensureHelmJars(): void {
  if (existsSync(libDir) && readdirSync(libDir).some((f) => f.startsWith('linux-amd64-'))) return;
  for (const cmd of ['java', 'mvn'])
    if (!commandExists(cmd))
      throw new InfraError(
        `${cmd} was not found: Helm runs embedded in Java, fetched by Maven (apt-get install -y ${cmd === 'java' ? 'openjdk-17-jre-headless' : 'maven'}).`,
      );
  mkdirSync(libDir, { recursive: true });
  console.log('[helm] fetching helm-java with Maven (first run only)…');
  const pom = join(ROOT_DIR, 'infra', 'helm', 'pom.xml');
  run(
    'mvn',
    ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`],
    {
      stdio: 'inherit',
    },
  );
}

export interface HelmResult {
  ok: boolean;
  /** lint: Helm's messages; template: the rendered YAML. */
  output: string;
  /** Helm's error (a template or values.schema.json failure), when not ok. */
  error: string;
}

function helmTool(args: string[]): HelmResult {
  ensureHelmJars();
  const res = spawnSync('java', ['-cp', join(libDir, '*'), tool, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.error) throw new InfraError(`java could not be started: ${res.error.message}`);
  return { ok: res.status === 0, output: res.stdout, error: res.stderr.trim() };
}

/** `helm lint --strict` of the chart with its own values.yaml (helm-java's lint takes no values files). */
export const helmLint = (chart = CHART_DIR): HelmResult => helmTool(['lint', chart]);

/** `helm template <release> <chart> -f <values>…`: Helm checks the values against values.schema.json first. */
export const helmTemplate = (valuesFiles: string[] = [], release = 'shop', chart = CHART_DIR): HelmResult =>
  helmTool(['template', chart, release, ...valuesFiles]);
