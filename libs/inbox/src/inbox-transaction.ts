import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { InboxEnvelope } from './inbox-envelope';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './inbox-errors';
import { InboxHandler } from './inbox-options';
import { InboxTable } from './inbox-table';
import { InboxMessage } from './ports';
import { inConsumeSpan } from './tracing';

/** A message that decoded, has a handler and passed validation. */
export interface ReadMessage {
  message: InboxMessage;
  envelope: InboxEnvelope;
  payload: unknown;
  handler: InboxHandler;
}

/** Which message a transaction was at: the handler of `index` threw when it failed there. */
export interface TransactionProgress {
  /** -1 before the handlers (the inbox insert), `messages.length` after them (the commit). */
  index: number;
}

export interface Committed {
  /** Indexes of the messages handled; the others were duplicates. */
  handled: Set<number>;
  afterCommit: (() => void)[];
}

/**
 * Records the messages in the inbox and runs the handler of each one seen for the first
 * time, in one transaction; returns which ones it handled and what they asked to run after
 * the commit. Throws `DatabaseUnavailableError` when the database failed around the
 * handlers: no connection, or a failure whose transaction lost its connection while the
 * database does not answer (so a handler's error that Nest replaced with "Internal server
 * error", or TypeORM's "already released" after a dropped connection, is an outage too).
 */
export async function transact(
  dataSource: DataSource,
  table: InboxTable,
  consumer: string,
  messages: readonly ReadMessage[],
  onHandled: (message: ReadMessage, seconds: number) => void,
  progress: TransactionProgress = { index: -1 },
): Promise<Committed> {
  const runner = dataSource.createQueryRunner();
  try {
    try {
      await runner.connect();
      await runner.startTransaction();
    } catch (err) {
      throw new DatabaseUnavailableError(err); // nothing of the message was looked at yet
    }
    try {
      const committed = await handleAll(runner.manager, table, consumer, messages, onHandled, progress);
      progress.index = messages.length;
      await runner.commitTransaction();
      return committed;
    } catch (err) {
      throw await rollBack(dataSource, runner, err);
    }
  } finally {
    await runner.release().catch(() => undefined);
  }
}

/** The error to report: `err`, unless the transaction lost its connection and the database is away. */
async function rollBack(dataSource: DataSource, runner: QueryRunner, err: unknown): Promise<unknown> {
  // TypeORM releases a query runner whose connection failed; a rollback fails on a dead one.
  let connectionLost = runner.isReleased;
  if (!connectionLost && runner.isTransactionActive)
    connectionLost = await runner.rollbackTransaction().then(
      () => false,
      () => true,
    );
  if (!connectionLost || isDatabaseUnavailable(err)) return err;
  const unanswered = await probe(dataSource);
  return unanswered === undefined ? err : new DatabaseUnavailableError(unanswered);
}

/** A server that takes connections but never answers must not hold the probe. */
const PROBE_TIMEOUT_MS = 5_000;

/** Undefined when the database answers a fresh connection's `SELECT 1`, else why not. */
async function probe(dataSource: DataSource): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(
      () => resolve(new Error(`no answer to SELECT 1 within ${PROBE_TIMEOUT_MS} ms`)),
      PROBE_TIMEOUT_MS,
    );
  });
  const answer = dataSource.query('SELECT 1').then(
    () => undefined,
    (err: unknown) => err,
  );
  return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
}

async function handleAll(
  manager: EntityManager,
  table: InboxTable,
  consumer: string,
  messages: readonly ReadMessage[],
  onHandled: (message: ReadMessage, seconds: number) => void,
  progress: TransactionProgress,
): Promise<Committed> {
  // One statement and three parameters whatever the batch's size (a VALUES list would need
  // three per message, and PostgreSQL allows 65535).
  const inserted: { event_id: string }[] = await manager.query(
    `INSERT INTO ${table.qualified} (consumer, event_id, type)
     SELECT $1, event_id, type FROM unnest($2::uuid[], $3::varchar[]) AS m (event_id, type)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, messages.map((m) => m.envelope.id), messages.map((m) => m.envelope.type)],
  );
  // The first copy of an id is the one inserted; a later copy in the batch is a duplicate.
  const unseen = new Set(inserted.map((r) => r.event_id));
  const handled = new Set<number>();
  const afterCommit: (() => void)[] = [];
  for (const [i, read] of messages.entries()) {
    if (!unseen.delete(read.envelope.id.toLowerCase())) continue; // uuid text comes back lower-case
    progress.index = i;
    const started = performance.now();
    await inConsumeSpan(consumer, read, () =>
      read.handler(read.payload, {
        manager,
        envelope: read.envelope,
        message: read.message.position,
        afterCommit: (fn) => void afterCommit.push(fn),
      }),
    );
    onHandled(read, (performance.now() - started) / 1000);
    handled.add(i);
  }
  return { handled, afterCommit };
}
