/** A failing row as outboxSql().blocked returns it. */
export interface FailingRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  seq: string;
  /** Until its next attempt; null when parked (until an operator re-queues it). */
  waitMs: number | null;
}

/** A parked row waits for `outbox requeue`, which runs elsewhere: read the table again this often. */
const PARKED_REFRESH_MS = 5_000;

/**
 * The aggregates that rows the broker refused hold back, kept by the leader and passed to
 * each claim as a parameter: a subquery on the outbox would leave the planner a choice, and
 * statistics taken while a snapshot holds the xmin horizon can make it pick the index full
 * of dead entries (docs/benchmarks-history.md). Only the leader records failures, so it reads the
 * table once per term and then keeps the set itself; only re-queues of parked rows come
 * from outside.
 */
export class BlockedAggregates {
  private readonly rows = new Map<string, { type: string; id: string; seq: string; until: number }>();
  private readAt?: number;

  /** Read the table (again) before the next claim. */
  get stale(): boolean {
    if (this.readAt === undefined) return true;
    if (Date.now() - this.readAt < PARKED_REFRESH_MS) return false;
    for (const row of this.rows.values()) if (row.until === Infinity) return true;
    return false;
  }

  replace(rows: readonly FailingRow[]): void {
    this.readAt = Date.now();
    this.rows.clear();
    for (const r of rows) this.add(r.id, r.aggregatetype, r.aggregateid, r.seq, r.waitMs);
  }

  /** A row refused just now: its aggregate waits `waitMs` from its seq on (for ever when null: parked). */
  add(rowId: string, aggregateType: string, aggregateId: string, seq: string, waitMs: number | null): void {
    const until = waitMs === null ? Infinity : Date.now() + waitMs;
    this.rows.set(rowId, { type: aggregateType, id: aggregateId, seq, until });
  }

  /** The claim's parameter: `{ aggregateType: { aggregateId: lowest blocking seq } }`. */
  toParam(): string {
    if (this.rows.size === 0) return '{}';
    const now = Date.now();
    const byType: Record<string, Record<string, string>> = {};
    for (const [rowId, { type, id, seq, until }] of this.rows) {
      if (until <= now) {
        this.rows.delete(rowId); // due again: claimed like any other row
        continue;
      }
      const ids = (byType[type] ??= {});
      if (ids[id] === undefined || BigInt(seq) < BigInt(ids[id])) ids[id] = seq;
    }
    return JSON.stringify(byType);
  }
}
