import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { InboxMetricLabels, InboxMetricsSink, LagSource } from '../observability';

type Labels = keyof InboxMetricLabels;

const byRegistry = new WeakMap<Registry, InboxMetrics>();

/**
 * Prometheus metrics of the inbox consumers of one registry, labelled by consumer and
 * topic. Several consumers in one process share them (a registry refuses a name twice):
 * take them with `InboxMetrics.for(registry)`. Alert rules use these names.
 */
export class InboxMetrics implements InboxMetricsSink {
  private readonly handledTotal: Counter<Labels>;
  private readonly duplicatesTotal: Counter<Labels>;
  private readonly deadLetteredTotal: Counter<Labels>;
  private readonly retriesTotal: Counter<Labels>;
  private readonly handlerSeconds: Histogram<Labels>;
  private readonly lagSources = new Set<LagSource>();

  static for(registry: Registry): InboxMetrics {
    let metrics = byRegistry.get(registry);
    // Anew after registry.clear(), which tests use between apps.
    if (!metrics || registry.getSingleMetric('inbox_handled_total') !== metrics.handledTotal)
      byRegistry.set(registry, (metrics = new InboxMetrics(registry)));
    return metrics;
  }

  private constructor(registry: Registry) {
    const common = { labelNames: ['consumer', 'topic'] as Labels[], registers: [registry] };
    const counter = (name: string, help: string) => new Counter({ name, help, ...common });
    this.handledTotal = counter('inbox_handled_total', 'Messages handled (effect committed)');
    this.duplicatesTotal = counter(
      'inbox_duplicates_skipped_total',
      'Messages skipped because the inbox had their event id',
    );
    this.deadLetteredTotal = counter('inbox_dead_lettered_total', 'Messages sent to the dead-letter topic');
    this.retriesTotal = counter('inbox_retries_total', 'Handler attempts that failed and were retried');
    this.handlerSeconds = new Histogram({
      name: 'inbox_handler_duration_seconds',
      help: 'Time in one handler, inside its inbox transaction',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ...common,
    });
    const sources = this.lagSources;
    new Gauge({
      name: 'inbox_consumer_lag',
      help: 'Messages on the topic not yet committed by the consumer group (read at scrape time)',
      ...common,
      async collect() {
        this.reset();
        const lags = await Promise.all(
          [...sources].map(async (s) => [s, await s.lagByTopic().catch(() => null)] as const),
        );
        for (const [source, byTopic] of lags)
          for (const [topic, lag] of byTopic ?? []) this.set({ consumer: source.consumer, topic }, lag);
      },
    });
  }

  handled(labels: InboxMetricLabels): void {
    this.handledTotal.inc(labels);
  }

  duplicate(labels: InboxMetricLabels): void {
    this.duplicatesTotal.inc(labels);
  }

  deadLettered(labels: InboxMetricLabels): void {
    this.deadLetteredTotal.inc(labels);
  }

  retried(labels: InboxMetricLabels): void {
    this.retriesTotal.inc(labels);
  }

  handlerDuration(labels: InboxMetricLabels, seconds: number): void {
    this.handlerSeconds.observe(labels, seconds);
  }

  watchLag(source: LagSource): () => void {
    this.lagSources.add(source);
    return () => this.lagSources.delete(source);
  }
}
