import { DataSource } from 'typeorm';
import { errorMessage } from '../logger';
import { OutboxSql, SqlRunner } from '../outbox-sql';
import { RelaySettings } from './relay-options';

/** Longest pause between vacuums that remove nothing. */
export const MAX_VACUUM_PAUSE_MS = 60_000;

/**
 * The pause before the next vacuum: while most dead rows survive one (some snapshot holds
 * the xmin horizon), twice the last (from one retention interval up to a minute); none
 * once a vacuum works again.
 */
export function nextVacuumPauseMs(deadBefore: number, deadAfter: number, pauseMs: number, intervalMs: number): number {
  return deadBefore > 0 && deadAfter > deadBefore / 2
    ? Math.min(MAX_VACUUM_PAUSE_MS, Math.max(intervalMs, 2 * pauseMs))
    : 0;
}

/**
 * Deletes published rows past `retentionSeconds`, and vacuums the table after a run that
 * deleted some. Autovacuum visits a table at most once per autovacuum_naptime (a cluster
 * setting, default 1 min); a busy outbox piles up a minute of dead rows meanwhile, and
 * every claim walks their index entries. After retention the table is small, so vacuuming
 * it is cheap. While a held xmin horizon keeps the dead rows in place, a vacuum removes
 * nothing and reads the whole growing table: it then backs off (nextVacuumPauseMs).
 */
export class Retention {
  /** Retention deletes from this published_at on; see outboxSql().deletePublished. */
  private retainedFrom: string | null = null;
  private lastRunAt = 0;
  private vacuumPauseMs = 0;
  private lastVacuumAt = 0;
  private vacuuming?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly settings: RelaySettings,
    private readonly sql: OutboxSql,
  ) {}

  get due(): boolean {
    return Date.now() - this.lastRunAt >= this.settings.retentionIntervalMs;
  }

  /** A new term: rows a former leader marked late are found again. */
  reset(): void {
    this.retainedFrom = null;
  }

  /** A retention run on the leader's session, then a vacuum beside the relay loop if it deleted rows. */
  async run(session: SqlRunner): Promise<void> {
    this.lastRunAt = Date.now();
    if ((await this.deletePublished(session)) > 0) this.vacuum();
  }

  /** Deletes published rows past retention, in at most 10 bounded statements. Returns rows deleted. */
  async deletePublished(session: SqlRunner): Promise<number> {
    const { retentionSeconds, retentionBatchSize } = this.settings;
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const [{ deleted, through }] = await session.query(this.sql.deletePublished, [
        retentionSeconds,
        retentionBatchSize,
        this.retainedFrom,
      ]);
      // With shards, other leaders mark rows on their own connections: a row marked before
      // `through` may commit after this read, so every pass starts from the oldest.
      if (through !== null && this.settings.shards === 1) this.retainedFrom = through;
      total += deleted;
      if (deleted < retentionBatchSize) break;
    }
    return total;
  }

  /** Resolves when no vacuum is under way. */
  async idle(): Promise<void> {
    await this.vacuuming;
  }

  /** On a pool connection, one at a time. */
  private vacuum(): void {
    if (!this.settings.vacuumAfterRetention || this.vacuuming) return;
    if (Date.now() - this.lastVacuumAt < this.vacuumPauseMs) return;
    this.lastVacuumAt = Date.now();
    const deadRows = async (): Promise<number> => (await this.dataSource.query(this.sql.deadRows))[0]?.dead ?? 0;
    this.vacuuming = (async () => {
      const before = await deadRows();
      await this.dataSource.query(this.sql.vacuum);
      const after = await deadRows();
      this.vacuumPauseMs = nextVacuumPauseMs(before, after, this.vacuumPauseMs, this.settings.retentionIntervalMs);
    })()
      .catch((err: unknown) => this.settings.logger.warn('outbox vacuum failed', { error: errorMessage(err) }))
      .finally(() => (this.vacuuming = undefined));
  }
}
