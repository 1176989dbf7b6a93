import { DataSource } from 'typeorm';
import { OutboxSql, SqlRunner } from '../outbox-sql';
import { OutboxPublisher } from '../publisher';
import { Drain } from '../relay/drain';
import { RelaySettings } from '../relay/relay-options';

/**
 * At each leadership start, the rows the slot's stream will not bring (committed before the
 * slot existed, or published without a mark) go out first from the table, in their
 * aggregates' order. The slot also holds those committed while no relay read it: their
 * copies are skipped when they arrive.
 */
export class StartUpPass {
  private readonly drain: Drain;
  private readonly published = new Set<string>();

  constructor(
    dataSource: DataSource,
    publisher: OutboxPublisher,
    private readonly settings: RelaySettings,
    sql: OutboxSql,
  ) {
    const afterPublish = settings.hooks?.afterPublish;
    const hooks = {
      afterPublish: async (rows: Parameters<NonNullable<typeof afterPublish>>[0]) => {
        for (const row of rows) this.published.add(row.id);
        await afterPublish?.(rows);
      },
    };
    this.drain = new Drain(dataSource, publisher, { ...settings, hooks }, sql);
  }

  /** Publishes the table's unmarked rows, batch after batch, while `running()`. */
  async run(session: SqlRunner, running: () => boolean): Promise<void> {
    this.published.clear();
    while (running() && (await this.drain.once(session)) === this.settings.batchSize);
  }

  /** True, once, for a row this pass published: its copy from the slot is not sent again. */
  publishedAlready(id: string): boolean {
    return this.published.delete(id);
  }

  /** A new leadership term reads the table from the head again. */
  reset(): void {
    this.drain.reset();
  }
}
