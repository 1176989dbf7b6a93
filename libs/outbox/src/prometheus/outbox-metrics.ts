import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxFailureReason, OutboxMetricsSink } from '../metrics';
import type { ReplicationSlotStats } from '../logical/replication-slot';
import type { OutboxStats } from '../outbox-sql';
import { SlotLagClock } from './slot-lag-clock';

/**
 * Prometheus metrics of one relay, for its `metrics` option. Backlog gauges are read from
 * the table when scraped (`admin`, e.g. an OutboxAdmin), so they cost nothing between scrapes.
 */
export class OutboxMetrics implements OutboxMetricsSink {
  private readonly publishedTotal: Counter;
  private readonly failures: Counter<'reason'>;
  private readonly parkedTotal: Counter;
  private readonly lag: Histogram;
  private readonly leaderGauge: Gauge;
  private readonly shardLeaderGauge: Gauge<'shard'>;
  private readonly shardsGauge: Gauge;
  private readonly led = new Set<number>();

  constructor(
    registry: Registry,
    admin: { stats(): Promise<OutboxStats>; replicationSlots?(): Promise<ReplicationSlotStats[]> },
  ) {
    const registers = [registry];
    this.publishedTotal = new Counter({
      name: 'outbox_published_total',
      help: 'Outbox rows published to Kafka',
      registers,
    });
    this.failures = new Counter({
      name: 'outbox_publish_failures_total',
      help: 'Failed relay passes (broker or database unavailable) and refused records',
      labelNames: ['reason'],
      registers,
    });
    this.parkedTotal = new Counter({ name: 'outbox_parked_total', help: 'Rows parked after maxAttempts', registers });
    this.lag = new Histogram({
      name: 'outbox_publish_lag_seconds',
      help: 'From the outbox insert to the broker acknowledgement',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    // A relay without shards leads one or none: 1 while it leads, as before shards existed.
    this.leaderGauge = new Gauge({ name: 'outbox_relay_leader', help: 'Shards this relay leads', registers });
    this.shardLeaderGauge = new Gauge({
      name: 'outbox_relay_shard_leader',
      help: '1 while this relay leads the shard',
      labelNames: ['shard'],
      registers,
    });
    this.shardsGauge = new Gauge({
      name: 'outbox_relay_shards',
      help: 'Shards the relay splits the outbox into (each with a leader of its own)',
      registers,
    });
    let stats: Promise<OutboxStats> | undefined;
    // One query per scrape feeds all three gauges.
    const read = async (pick: (s: OutboxStats) => number) => {
      stats ??= admin.stats().finally(() => setTimeout(() => (stats = undefined), 100));
      return pick(await stats);
    };
    const backlog = (name: string, help: string, pick: (s: OutboxStats) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.set(await read(pick));
        },
      });
    backlog('outbox_pending_rows', 'Rows waiting to be published (parked rows excluded)', (s) => s.pending);
    backlog('outbox_parked_rows', 'Rows parked, waiting for an operator', (s) => s.parked);
    backlog(
      'outbox_oldest_pending_age_seconds',
      'Age of the oldest row waiting to be published (parked rows excluded)',
      (s) => s.oldestPendingAgeSeconds,
    );
    const slots = admin.replicationSlots?.bind(admin);
    if (!slots) return;
    // A log-based relay's backlog is in its slot, not the table: the WAL the slot holds.
    let reading: Promise<ReplicationSlotStats[]> | undefined;
    const clock = new SlotLagClock();
    const readSlots = () =>
      (reading ??= slots()
        .then((rows) => {
          if (rows.length > 0) clock.sample(rows[0].serverLsn);
          return rows;
        })
        .finally(() => setTimeout(() => (reading = undefined), 100)));
    const slotGauge = (name: string, help: string, pick: (s: ReplicationSlotStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['slot'],
        registers,
        async collect() {
          this.reset();
          for (const s of await readSlots()) this.set({ slot: s.slot }, pick(s));
        },
      });
    slotGauge(
      'outbox_replication_slot_lag_bytes',
      'WAL held by a logical replication slot of the outbox database',
      (s) => s.lagBytes,
    );
    slotGauge(
      'outbox_replication_slot_lag_seconds',
      'How long the oldest WAL a slot holds has been waiting (at least; sampled at each scrape)',
      (s) => clock.lagSeconds(s.confirmedLsn),
    );
    slotGauge('outbox_replication_slot_active', '1 while a relay (or Debezium) streams the slot', (s) =>
      s.active ? 1 : 0,
    );
  }

  published(count: number): void {
    this.publishedTotal.inc(count);
  }

  publishLag(seconds: number): void {
    this.lag.observe(seconds);
  }

  failure(reason: OutboxFailureReason): void {
    this.failures.inc({ reason });
  }

  parked(): void {
    this.parkedTotal.inc();
  }

  leader(leading: boolean, shard: { readonly index: number; readonly count: number }): void {
    if (leading) this.led.add(shard.index);
    else this.led.delete(shard.index);
    this.leaderGauge.set(this.led.size);
    this.shardLeaderGauge.set({ shard: String(shard.index) }, leading ? 1 : 0);
  }

  shards(count: number): void {
    this.shardsGauge.set(count);
    this.shardLeaderGauge.reset();
    for (let shard = 0; shard < count; shard++) this.shardLeaderGauge.set({ shard: String(shard) }, 0);
  }
}
