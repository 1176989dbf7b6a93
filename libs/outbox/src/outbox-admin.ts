import { replicationSlots, ReplicationSlotStats } from './logical/replication-slot';
import { AggregateRow, outboxSql, OutboxSql, OutboxStats, ParkedRow, SqlRunner } from './outbox-sql';
import { OutboxTableOptions } from './outbox-table';

/** Operations on parked rows and backlog figures, for a CLI, an admin endpoint or a test. */
export class OutboxAdmin {
  private readonly sql: OutboxSql;

  constructor(
    private readonly db: SqlRunner,
    table: OutboxTableOptions = {},
  ) {
    this.sql = outboxSql(table);
  }

  listParked(limit = 100): Promise<ParkedRow[]> {
    return this.db.query(this.sql.listParked, [limit]);
  }

  /** The rows of one aggregate (while the table keeps them), oldest first. */
  rowsOf(aggregateId: string, limit = 50): Promise<AggregateRow[]> {
    return this.db.query(this.sql.rowsOf, [aggregateId, limit]);
  }

  /** Puts parked rows back in line (all of them when no ids are given). Returns their ids. */
  async requeue(ids?: string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(this.sql.requeue, [ids ?? null]);
    return rows.map((r) => r.id);
  }

  /** The database's logical slots (log-based relays, Debezium): whether read, and the WAL each holds. */
  replicationSlots(): Promise<ReplicationSlotStats[]> {
    return replicationSlots(this.db);
  }

  async stats(): Promise<OutboxStats> {
    const [row] = await this.db.query(this.sql.stats);
    return row;
  }
}
