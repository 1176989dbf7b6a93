export type OutboxFailureReason = 'broker' | 'database' | 'record';

/**
 * What the relay reports as it works. `@transactional-outbox/outbox/prometheus` implements
 * it with prom-client (and adds the backlog gauges, read from the table on scrape).
 */
export interface OutboxMetricsSink {
  /** Rows the broker acknowledged, now marked published. */
  published(count: number): void;
  /** One published row's time from its insert to the broker's acknowledgement. */
  publishLag(seconds: number): void;
  /** A failed relay pass (`broker`, `database`) or a record the broker refused (`record`). */
  failure(reason: OutboxFailureReason): void;
  /** A row parked after `maxAttempts`. */
  parked(): void;
  /**
   * This relay took (true) or lost (false) the leadership of `shard` (`index` of `count`;
   * the only one, 0 of 1, when the relay has no shards).
   */
  leader(leading: boolean, shard: { readonly index: number; readonly count: number }): void;
  /** The relay starts, with this many shards: none of them led yet. */
  shards?(count: number): void;
}
