import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OutboxAdmin } from './outbox-admin';

/**
 * Prometheus metrics of one relay. Backlog gauges are read from the table when scraped,
 * so they cost nothing between scrapes.
 */
export class OutboxMetrics {
  readonly published: Counter;
  readonly failures: Counter<'reason'>;
  readonly parked: Counter;
  readonly publishLag: Histogram;
  readonly leader: Gauge;

  constructor(registry: Registry, admin: OutboxAdmin) {
    const registers = [registry];
    this.published = new Counter({ name: 'outbox_published_total', help: 'Outbox rows published to Kafka', registers });
    this.failures = new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Failed relay passes (broker or database unavailable) and refused records',
      labelNames: ['reason'],
      registers,
    });
    this.parked = new Counter({ name: 'outbox_parked_total', help: 'Rows parked after maxAttempts', registers });
    this.publishLag = new Histogram({
      name: 'outbox_publish_lag_seconds',
      help: 'From the outbox insert to the broker acknowledgement',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.leader = new Gauge({ name: 'outbox_relay_leader', help: '1 while this relay leads', registers });
    let stats: ReturnType<OutboxAdmin['stats']> | undefined;
    // One query per scrape feeds all three gauges.
    const read = async (pick: (s: Awaited<ReturnType<OutboxAdmin['stats']>>) => number) => {
      stats ??= admin.stats().finally(() => setTimeout(() => (stats = undefined), 100));
      return pick(await stats);
    };
    new Gauge({
      name: 'outbox_pending_rows',
      help: 'Rows waiting to be published (parked rows excluded)',
      registers,
      async collect() {
        this.set(await read((s) => s.pending));
      },
    });
    new Gauge({
      name: 'outbox_parked_rows',
      help: 'Rows parked, waiting for an operator',
      registers,
      async collect() {
        this.set(await read((s) => s.parked));
      },
    });
    new Gauge({
      name: 'outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest row waiting to be published (parked rows excluded)',
      registers,
      async collect() {
        this.set(await read((s) => s.oldestPendingAgeSeconds));
      },
    });
  }
}
