import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type Labels = 'consumer' | 'topic';

/** What the lag gauge asks each consumer at scrape time. */
export interface LagSource {
  consumer: string;
  lagByTopic(): Promise<Map<string, number>>;
}

const byRegistry = new WeakMap<Registry, InboxMetrics>();

/**
 * Prometheus metrics of the inbox consumers of one registry, labelled by consumer and
 * topic. Several consumers in one process share them (a registry refuses a name twice).
 */
export class InboxMetrics {
  readonly handled: Counter<Labels>;
  readonly duplicates: Counter<Labels>;
  readonly deadLettered: Counter<Labels>;
  readonly retries: Counter<Labels>;
  readonly handlerDuration: Histogram<Labels>;
  private readonly lagSources = new Set<LagSource>();

  static for(registry: Registry): InboxMetrics {
    let metrics = byRegistry.get(registry);
    // Anew after registry.clear(), which tests use between apps.
    if (!metrics || registry.getSingleMetric('inbox_handled_total') !== metrics.handled)
      byRegistry.set(registry, (metrics = new InboxMetrics(registry)));
    return metrics;
  }

  private constructor(registry: Registry) {
    const common = { labelNames: ['consumer', 'topic'] as Labels[], registers: [registry] };
    this.handled = new Counter({ name: 'inbox_handled_total', help: 'Messages handled (effect committed)', ...common });
    this.duplicates = new Counter({
      name: 'inbox_duplicates_skipped_total',
      help: 'Messages skipped because the inbox had their event id',
      ...common,
    });
    this.deadLettered = new Counter({
      name: 'inbox_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic',
      ...common,
    });
    this.retries = new Counter({
      name: 'inbox_retries_total',
      help: 'Handler attempts that failed and were retried',
      ...common,
    });
    this.handlerDuration = new Histogram({
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

  watchLag(source: LagSource): () => void {
    this.lagSources.add(source);
    return () => this.lagSources.delete(source);
  }
}
