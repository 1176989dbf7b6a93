import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  dashboardQueries,
  exportedNames,
  metricNames,
  promqlProblems,
  readDashboard,
  type Dashboard,
} from './grafana-dashboard';
import { ROOT_DIR } from './settings';

const yamlFile = <T>(path: string): T => parse(readFileSync(join(ROOT_DIR, path), 'utf8')) as T;

/**
 * infra/grafana's dashboard as far as it can be checked without the services: its shape and
 * its PromQL (promtool). That its metrics exist is checked against the running services in
 * native-prometheus.int-spec.ts.
 */
describe('infra/grafana/dashboards/outbox.json', () => {
  const dashboard = readDashboard();
  const { queries, problems } = dashboardQueries(dashboard);

  it('has a data source and a query in every panel', () => {
    expect(problems).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(20);
  });

  it("names the provisioned Prometheus data source's uid everywhere", () => {
    const { datasources } = yamlFile<{ datasources: { uid: string; url: string }[] }>(
      'infra/grafana/provisioning/datasources/prometheus.yml',
    );
    expect(datasources).toEqual([expect.objectContaining({ uid: 'prometheus', url: 'http://prometheus:9090' })]);
    const used = [...JSON.stringify(dashboard.panels).matchAll(/"uid":"([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(used)).toEqual(new Set([datasources[0].uid]));
  });

  it('has queries promtool parses', () => {
    expect(promqlProblems(queries)).toEqual([]);
  });

  it('reports a query promtool cannot parse with its panel', () => {
    const bad = [{ panel: 'Broken panel', expr: 'sum by (job (rate(outbox_published_total[1m]))' }];
    expect(promqlProblems(bad)).toEqual([expect.stringMatching(/^panel "Broken panel": could not parse expression/)]);
  });

  it('reports a panel without a data source or query', () => {
    const broken: Dashboard = {
      title: 't',
      panels: [{ type: 'row', title: 'r', panels: [{ type: 'stat', title: 'Empty panel' }] }],
    };
    expect(dashboardQueries(broken).problems).toEqual([
      'panel "Empty panel" has no datasource',
      'panel "Empty panel" has a missing or empty query',
    ]);
  });
});

describe('metricNames', () => {
  it.each([
    ['max by (job) (outbox_pending_rows) > 60', ['outbox_pending_rows']],
    [
      'histogram_quantile(0.95, sum by (consumer, le) (rate(inbox_handler_duration_seconds_bucket{job="a b"}[1m])))',
      ['inbox_handler_duration_seconds_bucket'],
    ],
    ['sum(rate(a_sum[1m])) / sum(rate(a_count[5m] offset 1h))', ['a_sum', 'a_count']],
    ['max(x) unless on (job) max by (job) (y{slot=~"debezium_.*"}) == bool 1', ['x', 'y']],
    ['up', ['up']],
  ])('%s uses %j', (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });
});

it('exportedNames adds the series names of histograms and summaries', () => {
  const text = '# HELP h x\n# TYPE h histogram\n# TYPE s summary\n# TYPE c_total counter\nc_total 1\n';
  expect([...exportedNames(text)].sort()).toEqual(
    ['c_total', 'h', 'h_bucket', 'h_count', 'h_sum', 's', 's_count', 's_sum'].sort(),
  );
});

/** Compose cannot run here: its wiring of Prometheus and Grafana is checked as files. */
describe("docker-compose.yml's prometheus and grafana", () => {
  type Service = { volumes?: string[]; ports?: string[] };
  const compose = yamlFile<{ services: Record<string, Service> }>('docker-compose.yml');
  const config = yamlFile<{
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  }>('infra/prometheus/prometheus.yml');
  const mounts = (service: string) =>
    Object.fromEntries((compose.services[service].volumes ?? []).map((v) => v.split(':').slice(0, 2).reverse()));

  it('scrapes each service by its Compose name on the port its image listens on', () => {
    expect(config.scrape_configs.map((j) => j.job_name)).toEqual([
      'order-service',
      'shipping-service',
      'email-service',
    ]);
    for (const job of config.scrape_configs) {
      const dockerfile = readFileSync(join(ROOT_DIR, `apps/${job.job_name}/Dockerfile`), 'utf8');
      const port = /\bPORT=(\d+)/.exec(dockerfile)?.[1];
      expect(job.static_configs).toEqual([{ targets: [`${job.job_name}:${port}`] }]);
      expect(compose.services[job.job_name]).toBeDefined();
    }
  });

  it('mounts the config and the alert rules beside it, and the provisioning Grafana reads', () => {
    expect(mounts('prometheus')).toMatchObject({
      '/etc/prometheus/prometheus.yml': './infra/prometheus/prometheus.yml',
      '/etc/prometheus/alerts.yml': './infra/prometheus/alerts.yml',
    });
    expect(config.rule_files).toEqual(['alerts.yml']);
    const { providers } = yamlFile<{ providers: { options: { path: string } }[] }>(
      'infra/grafana/provisioning/dashboards/outbox.yml',
    );
    expect(mounts('grafana')).toEqual({
      '/etc/grafana/provisioning': './infra/grafana/provisioning',
      [providers[0].options.path]: './infra/grafana/dashboards',
    });
    expect(compose.services.prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(compose.services.grafana.ports).toEqual(['127.0.0.1:3030:3000']);
  });
});
