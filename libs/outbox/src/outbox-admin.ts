import { outboxSql, OutboxStats, ParkedRow, SqlRunner } from './outbox-store';

/** Operations on parked rows and backlog figures, for a CLI, an admin endpoint or a test. */
export class OutboxAdmin {
  constructor(private readonly db: SqlRunner) {}

  listParked(limit = 100): Promise<ParkedRow[]> {
    return this.db.query(outboxSql.listParked, [limit]);
  }

  /** Puts parked rows back in line (all of them when no ids are given). Returns their ids. */
  async requeue(ids?: string[]): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(outboxSql.requeue, [ids ?? null]);
    return rows.map((r) => r.id);
  }

  async stats(): Promise<OutboxStats> {
    const [row] = await this.db.query(outboxSql.stats);
    return row;
  }
}
