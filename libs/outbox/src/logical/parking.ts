import { OutboxSql, PendingRow, SqlRunner } from '../outbox-sql';
import { RelaySettings } from '../relay/relay-options';

/**
 * The log-based relay's refused rows: it counts refusals, parks a row after `maxAttempts`,
 * and parks the later rows of a parked row's aggregate, so that aggregate's order holds.
 */
export class Parking {
  private readonly held = new Set<string>();
  private readonly refusals = new Map<string, number>();
  private session?: SqlRunner;

  constructor(
    private readonly settings: RelaySettings,
    private readonly sql: OutboxSql,
  ) {}

  /** A new leadership term, on its session: the aggregates parked rows hold back now, read from the table. */
  async load(session: SqlRunner): Promise<void> {
    this.session = session;
    this.held.clear();
    for (const row of await session.query(this.sql.parkedAggregates))
      this.held.add(this.keyOf(row.aggregatetype, row.aggregateid));
  }

  /** The broker refused `row`: true when it is parked now, false when it is to be retried. */
  async refused(row: PendingRow, error: string): Promise<boolean> {
    const attempts = (this.refusals.get(row.id) ?? row.attempts) + 1;
    this.refusals.set(row.id, attempts);
    this.settings.metrics?.failure('record');
    if (attempts < this.settings.maxAttempts) {
      this.settings.logger.warn('outbox row refused by the broker; will retry', {
        id: row.id,
        type: row.type,
        attempt: attempts,
      });
      return false;
    }
    this.held.add(this.keyOf(row.aggregatetype, row.aggregateid));
    await this.park(row, attempts, error);
    return true;
  }

  published(rows: readonly PendingRow[]): void {
    for (const row of rows) this.refusals.delete(row.id);
  }

  /** Parks the rows whose aggregate a parked row holds back; returns the others. */
  async parkHeld(rows: PendingRow[]): Promise<PendingRow[]> {
    if (this.held.size === 0) return rows;
    const free: PendingRow[] = [];
    for (const row of rows) {
      if (!this.held.has(this.keyOf(row.aggregatetype, row.aggregateid))) free.push(row);
      else await this.park(row, row.attempts, 'held back by a parked row of the same aggregate');
    }
    return free;
  }

  private async park(row: PendingRow, attempts: number, error: string): Promise<void> {
    await (this.session as SqlRunner).query(this.sql.park, [
      row.id,
      row.seq,
      row.aggregatetype,
      row.aggregateid,
      row.type,
      row.payload,
      JSON.stringify(row.headers),
      new Date(row.created_at_ms),
      attempts,
      error,
    ]);
    this.refusals.delete(row.id);
    this.settings.metrics?.parked();
    this.settings.logger.warn('outbox row parked', {
      id: row.id,
      type: row.type,
      aggregateType: row.aggregatetype,
      attempts,
      error,
    });
  }

  private keyOf(aggregateType: string, aggregateId: string): string {
    return `${this.settings.topicFor(aggregateType)}\u0000${aggregateId}`;
  }
}
