import { dashboardQueries, exportedNames, readDashboard, unknownMetrics } from './grafana-dashboard';
import { describeEndpoints, infraStatus, infraUp } from './infra';
import { prometheusUrl, stopNativePrometheus } from './native-prometheus';
import { waitFor } from './process-utils';
import { RunningService, serviceNames, servicePort, startServices } from './services';
import { settings } from './settings';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

const query = async (promql: string): Promise<Sample[]> => {
  const res = await fetch(`${prometheusUrl()}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
  return body.data.result;
};

/**
 * Prometheus from Debian as `infraUp({ prometheus: true })` starts it, scraping the three
 * services as separate processes; and the Grafana dashboard's metrics against what those
 * services export. Here rather than in the e2e tier, which CI runs once per broker and
 * relay mode: the dashboard shows the default deployment (Kafka, as in Compose).
 */
describe('native Prometheus and the Grafana dashboard, against the three services', () => {
  let services: RunningService[] = [];
  let startedPrometheus = false;
  let since = 0;
  const { queries } = dashboardQueries(readDashboard());

  beforeAll(async () => {
    since = Date.now() / 1000;
    services = await startServices(serviceNames);
    startedPrometheus = (await infraUp({ prometheus: true })).started.includes('prometheus');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    if (startedPrometheus) await stopNativePrometheus();
  });

  const exported = async () => {
    const texts = await Promise.all(services.map(async (s) => (await fetch(`${s.url}/metrics`)).text()));
    return exportedNames(texts.join('\n'));
  };

  it("uses in every dashboard query only metrics the services' /metrics export", async () => {
    expect(queries.length).toBeGreaterThanOrEqual(20);
    expect(unknownMetrics(queries, await exported())).toEqual([]);
  });

  it('names the panel and the metric when a query uses one no service exports', async () => {
    const ghost = [...queries, { panel: 'Ghost rows', expr: 'max by (job) (outbox_ghost_rows)' }];
    expect(unknownMetrics(ghost, await exported())).toEqual([
      'panel "Ghost rows" uses outbox_ghost_rows, which no service exports',
    ]);
  });

  it('is listed by infra:status', async () => {
    expect((await infraStatus()).prometheus).toBe(true);
    expect(describeEndpoints({ prometheus: true })).toContainEqual(expect.stringContaining(prometheusUrl()));
  });

  it('scrapes the three services on their ports here: up is 1 for each job', async () => {
    // Scraped since this test began: the data directory may hold samples of an earlier run.
    const up = async () =>
      Object.fromEntries(
        (await query(`up == 1 and timestamp(up) > ${since}`)).map((s) => [s.metric.job, s.metric.instance]),
      );
    await waitFor('three targets up', async () => Object.keys(await up()).length === 3, 20_000);
    expect(await up()).toEqual(
      Object.fromEntries(serviceNames.map((name) => [name, `${settings.host}:${servicePort(name)}`])),
    );
  }, 30_000);

  it("answers a dashboard panel's query with the producers' series", async () => {
    const pending = queries.find((q) => q.panel === 'Pending outbox rows');
    expect(pending?.expr).toBe('max by (job) (outbox_pending_rows)');
    const jobs = async () => (await query(pending?.expr ?? '')).map((s) => s.metric.job).sort();
    await waitFor('pending rows of both producers', async () => (await jobs()).length === 2, 20_000);
    expect(await jobs()).toEqual(['order-service', 'shipping-service']);
  }, 30_000);
});
