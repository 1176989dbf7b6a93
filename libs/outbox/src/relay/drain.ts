import { DataSource } from 'typeorm';
import { backoffMs } from '../backoff';
import { errorMessage } from '../logger';
import { OutboxSql, PendingRow, SqlRunner } from '../outbox-sql';
import { OutboxPublisher, publishSafely, PublishResult } from '../publisher';
import { BlockedAggregates } from './blocked-aggregates';
import { recordOf, reportPublished } from './records';
import { RelaySettings } from './relay-options';
import { ScanFrontier } from './scan-frontier';

/** The broker took none of some rows, for no fault of theirs: the relay backs off. */
export class BrokerUnavailableError extends Error {}

const isPublished = (r: PublishResult) => r.status === 'published';

/**
 * Claim → publish → mark: rows are marked published only after the broker acknowledged
 * them (at least once). Rows are claimed in seq order from the scan frontier, leaving out
 * the aggregates that a refused row holds back.
 */
export class Drain {
  readonly frontier = new ScanFrontier();
  private blocked = new BlockedAggregates();

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
    private readonly settings: RelaySettings,
    private readonly sql: OutboxSql,
  ) {}

  /** A new leadership term: from the head, with the failing rows read again (a former leader may have recorded some). */
  reset(): void {
    this.frontier.reset();
    this.blocked = new BlockedAggregates();
  }

  /** One claim → publish → mark pass. Returns the rows published. */
  async once(session: SqlRunner): Promise<number> {
    const rows = await this.claim(session, []);
    if (rows.length === 0) return 0;
    await this.settings.hooks?.afterClaim?.(rows);
    const results = await this.publish(rows);
    if (!results.every(isPublished)) return this.settle(session, rows, results);
    await this.settings.hooks?.afterPublish?.(rows);
    await this.markPublished(session, rows);
    return rows.length;
  }

  /**
   * Publishes batch after batch, keeping the database work off the critical path: while
   * one batch is on its way to the broker, the previous one is marked and the next one
   * claimed (excluding the rows in flight). One publish is under way at a time, so
   * per-aggregate order holds as in `once`. When not every record was published, the
   * claimed-ahead batch is dropped unsent. Returns true when it stopped with more to do
   * (`keepGoing` turned false, or a record was refused).
   */
  async drain(session: SqlRunner & { readonly isBroken: boolean }, keepGoing: () => boolean): Promise<boolean> {
    const hooks = this.settings.hooks;
    let rows = await this.claim(session, []);
    let sent: PendingRow[] = [];
    try {
      while (rows.length > 0) {
        await hooks?.afterClaim?.(rows);
        const inFlight = rows;
        const publishing = this.publish(inFlight);
        const acknowledged = sent;
        sent = [];
        const claiming = this.claim(session, inFlight, acknowledged);
        claiming.catch(() => undefined); // awaited below, after the publish; a rejection meanwhile is not unhandled
        const results = await publishing;
        const next = await claiming;
        if (!results.every(isPublished)) {
          await this.settle(session, inFlight, results);
          return true;
        }
        await hooks?.afterPublish?.(inFlight);
        sent = inFlight;
        rows = next;
        if (!keepGoing()) return rows.length > 0;
      }
      return false;
    } finally {
      // The last batch sent is marked here; a failure above leaves it to be sent again.
      if (sent.length > 0 && !session.isBroken) await this.markPublished(session, sent);
    }
  }

  /** Resolves when no frontier run is under way. */
  idle(): Promise<void> {
    return this.frontier.idle();
  }

  /**
   * Up to `batchSize` publishable rows in seq order, leaving out those in flight; marks
   * `acknowledged` published in the same round trip. Starts a frontier run when one is due.
   */
  private async claim(
    session: SqlRunner,
    inFlight: readonly PendingRow[],
    acknowledged: readonly PendingRow[] = [],
  ): Promise<PendingRow[]> {
    if (this.frontier.due()) {
      // On a pool connection, beside the relay's own statements rather than between them (it
      // then counts the relay's session as a writer too, which only makes it wait a little).
      this.frontier.advance(
        async ({ settledSeq, from }) => (await this.dataSource.query(this.sql.frontier, [settledSeq, from]))[0],
        (err) =>
          this.settings.logger.warn('outbox relay: could not move the scan frontier', { error: errorMessage(err) }),
      );
    }
    if (this.blocked.stale) this.blocked.replace(await session.query(this.sql.blocked));
    const params = [this.settings.batchSize, inFlight.map((r) => r.id), this.frontier.value, this.blocked.toParam()];
    if (acknowledged.length === 0) return session.query(this.sql.claim, params);
    const rows: PendingRow[] = await session.query(this.sql.markAndClaim, [...params, acknowledged.map((r) => r.id)]);
    this.recordPublished(acknowledged);
    return rows;
  }

  private publish(rows: readonly PendingRow[]): Promise<readonly PublishResult[]> {
    return publishSafely(
      this.publisher,
      rows.map((row) => recordOf(row, this.settings.topicFor)),
    );
  }

  /**
   * Not every row was published. A refused row records an attempt (parked after
   * maxAttempts) and holds back its aggregate; published rows are marked. Throws
   * BrokerUnavailableError when a row went unpublished that no refusal holds back.
   * Returns the rows published.
   */
  private async settle(
    session: SqlRunner,
    rows: readonly PendingRow[],
    results: readonly PublishResult[],
  ): Promise<number> {
    const published: PendingRow[] = [];
    const held = new Set<string>();
    let unavailable: string | undefined;
    try {
      for (const [i, row] of rows.entries()) {
        const result = results[i];
        const key = `${this.settings.topicFor(row.aggregatetype)}\u0000${row.aggregateid}`;
        if (result.status === 'published') published.push(row);
        else if (result.status === 'refused') {
          held.add(key);
          await this.recordFailure(session, row, result.error);
        } else if (!held.has(key)) unavailable ??= result.error;
      }
      if (published.length > 0) await this.settings.hooks?.afterPublish?.(published);
    } finally {
      await this.markPublished(session, published);
    }
    if (unavailable !== undefined) throw new BrokerUnavailableError(unavailable);
    return published.length;
  }

  private async recordFailure(session: SqlRunner, row: PendingRow, error: string): Promise<void> {
    const { maxAttempts, retryBackoffMs, maxRetryBackoffMs, metrics, logger } = this.settings;
    const attempt = row.attempts + 1;
    const waitMs = backoffMs(attempt, { initialMs: retryBackoffMs, maxMs: maxRetryBackoffMs });
    const [{ parked }] = await session.query(this.sql.recordFailure, [row.id, error, waitMs / 1000, maxAttempts]);
    this.blocked.add(row.id, row.aggregatetype, row.aggregateid, row.seq, parked ? null : waitMs);
    metrics?.failure('record');
    if (parked) metrics?.parked();
    logger.warn(parked ? 'outbox row parked' : 'outbox row refused by the broker; will retry', {
      id: row.id,
      type: row.type,
      aggregateType: row.aggregatetype,
      attempt,
      error,
    });
  }

  private async markPublished(session: SqlRunner, rows: readonly PendingRow[]): Promise<void> {
    if (rows.length === 0) return;
    await session.query(this.sql.markPublished, [rows.map((r) => r.id)]);
    this.recordPublished(rows);
  }

  private recordPublished(rows: readonly PendingRow[]): void {
    this.frontier.published();
    reportPublished(this.settings.metrics, rows);
  }
}
