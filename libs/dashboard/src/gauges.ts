import { parseMetrics, Sample, sum } from './metrics-text';
import { ServiceName, serviceNames, Upstream } from './upstream';

/** One service's row of gauges, read from its /metrics. */
export interface ServiceGauges {
  service: ServiceName;
  up: boolean;
  /** The outbox's (order- and shipping-service): rows waiting, the oldest one's age, parked rows, relay leader. */
  pending: number | null;
  oldestPendingAgeSeconds: number | null;
  parked: number | null;
  /** Whether it leads; with shards, how many of them (`2 of 4`). */
  relayLeader: boolean | string | null;
  /** The service's inbox consumer group: messages behind, summed over its topics, and dead-lettered so far. */
  consumerLag: number | null;
  deadLettered: number | null;
}

const unknown = (service: ServiceName, up: boolean): ServiceGauges => ({
  service,
  up,
  pending: null,
  oldestPendingAgeSeconds: null,
  parked: null,
  relayLeader: null,
  consumerLag: null,
  deadLettered: null,
});

/**
 * The page's gauges, from the three services' /metrics. Each service is scraped on its own: one
 * whose scrape is slow (its consumer-lag gauge asks a broker that is down) keeps its last values
 * and does not hold back the others.
 */
export class GaugeReader {
  private readonly latest = new Map<ServiceName, ServiceGauges>();
  private readonly inFlight = new Set<ServiceName>();

  constructor(private readonly upstream: Upstream) {}

  /** Starts a scrape of each service not being scraped already; returns the latest values. */
  read(): ServiceGauges[] {
    for (const service of serviceNames) {
      if (this.inFlight.has(service)) continue;
      this.inFlight.add(service);
      void this.scrape(service).finally(() => this.inFlight.delete(service));
    }
    return serviceNames.map((service) => this.latest.get(service) ?? unknown(service, false));
  }

  private async scrape(service: ServiceName): Promise<void> {
    const text = await this.upstream.metrics(service);
    if (text === null) return void this.latest.set(service, unknown(service, false));
    const samples = parseMetrics(text);
    const has = (name: string) => samples.some((s) => s.name === name);
    const outbox = has('outbox_pending_rows');
    this.latest.set(service, {
      service,
      up: true,
      pending: outbox ? sum(samples, 'outbox_pending_rows') : null,
      oldestPendingAgeSeconds: outbox ? sum(samples, 'outbox_oldest_pending_age_seconds') : null,
      parked: outbox ? sum(samples, 'outbox_parked_rows') : null,
      relayLeader: has('outbox_relay_leader') ? relayLeader(samples) : null,
      consumerLag: has('inbox_consumer_lag') ? sum(samples, 'inbox_consumer_lag') : null,
      deadLettered: sum(samples, 'inbox_dead_lettered_total'),
    });
  }
}

/** outbox_relay_leader counts the shards the relay leads, of outbox_relay_shards. */
function relayLeader(samples: Sample[]): boolean | string {
  const led = sum(samples, 'outbox_relay_leader');
  const shards = sum(samples, 'outbox_relay_shards');
  return shards > 1 ? `${led} of ${shards} shards` : led > 0;
}
