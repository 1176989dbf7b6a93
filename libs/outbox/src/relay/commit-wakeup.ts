import { DataSource, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent } from 'typeorm';

/** On a transaction's QueryRunner: the outbox tables `Outbox.add` wrote to, read after its commit. */
const OUTBOX_ADDED = 'outboxAdded';

type RunnerData = Record<string, unknown> & { [OUTBOX_ADDED]?: Set<string> };

/** Called by `Outbox.add`: the relay of `table` in this process is woken once this transaction commits. */
export function markOutboxAdded(runner: QueryRunner, table: string): void {
  const data = (runner.data ??= {}) as RunnerData;
  (data[OUTBOX_ADDED] ??= new Set()).add(table);
}

/**
 * Wakes the relay right after a transaction of this process that added rows to its table
 * commits: no database round trip, unlike NOTIFY. A TypeORM subscriber on the DataSource.
 */
export class CommitWakeup {
  private readonly subscriber: EntitySubscriberInterface = {
    afterTransactionCommit: (event: TransactionCommitEvent) => {
      if ((event.queryRunner.data as RunnerData | undefined)?.[OUTBOX_ADDED]?.delete(this.table)) this.wake();
    },
  };

  constructor(
    private readonly dataSource: DataSource,
    private readonly table: string,
    private readonly wake: () => void,
  ) {}

  install(): void {
    this.dataSource.subscribers.push(this.subscriber);
  }

  remove(): void {
    const i = this.dataSource.subscribers.indexOf(this.subscriber);
    if (i >= 0) this.dataSource.subscribers.splice(i, 1);
  }
}
