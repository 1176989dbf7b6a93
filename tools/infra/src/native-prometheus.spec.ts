import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT_DIR } from './settings';

/** The native config is Compose's, moved to this run's ports; promtool accepts it as it is. */
describe('renderPrometheusConfig', () => {
  const render = (env: NodeJS.ProcessEnv): string => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      let text = '';
      jest.isolateModules(() => {
        text = (
          jest.requireActual('./native-prometheus') as typeof import('./native-prometheus')
        ).renderPrometheusConfig();
      });
      return text;
    } finally {
      process.env = saved;
    }
  };
  const source = parse(readFileSync(join(ROOT_DIR, 'infra/prometheus/prometheus.yml'), 'utf8'));

  it("scrapes each service on 127.0.0.1 at the port INFRA_SERVICE_PORT_BASE gives it, the rest as Compose's", () => {
    const config = parse(render({ INFRA_SERVICE_PORT_BASE: '4100' }));
    expect(config.scrape_configs).toEqual([
      { job_name: 'order-service', static_configs: [{ targets: ['127.0.0.1:4100'] }] },
      { job_name: 'shipping-service', static_configs: [{ targets: ['127.0.0.1:4101'] }] },
      { job_name: 'email-service', static_configs: [{ targets: ['127.0.0.1:4102'] }] },
    ]);
    expect(config.global).toEqual(source.global);
    expect(config.rule_files).toEqual([join(ROOT_DIR, 'infra/prometheus/alerts.yml')]);
  });

  it('is a config promtool accepts, with the alert rules found', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prometheus-config-')), 'prometheus.yml');
    writeFileSync(file, render({}));
    const res = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(`${res.stdout}${res.stderr}`).toContain('SUCCESS: 1 rule files found');
    expect(res.status).toBe(0);
  });
});
