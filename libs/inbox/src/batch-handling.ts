import { readableRun } from './batch-runs';
import { Committed, ReadMessage, TransactionProgress } from './inbox-transaction';
import { handleAlone, Processing, readMessage, settle, transactMessages } from './message-handling';
import { MessageBatch } from './ports';

/** Heartbeats go on while slow handlers run; adapters send one only when it is due. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * A delivered batch, in order: runs of readable messages (up to `transactionBatchSize`, so
 * a whole fetched batch by default) go through one transaction each. A message that cannot
 * be read, or the message a run's transaction failed on, goes alone (retries, dead letter,
 * waiting for the database); its neighbours keep their run. A message is acknowledged only
 * after its transaction committed, or after it was dead-lettered. `onProgress` is called
 * after each transaction, for health.
 */
export async function handleBatch(p: Processing, batch: MessageBatch, onProgress: () => void): Promise<void> {
  const { messages } = batch;
  const beat = setInterval(() => void batch.heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
  try {
    for (let i = 0; i < messages.length && batch.isActive();) {
      const run = readableRun(messages, i, p.transactionBatchSize, (m) => readMessage(p, m));
      const committed = run.length >= 2 ? await committedPrefix(p, run) : 0;
      if (committed > 0) {
        await batch.ack(run[committed - 1].message);
        i += committed;
      }
      if (committed < run.length || run.length === 0) {
        await handleAlone(p, messages[i]);
        await batch.ack(messages[i]);
        i += 1;
      }
      onProgress();
      await batch.heartbeat();
    }
  } finally {
    clearInterval(beat);
  }
}

/**
 * Handles the run in one transaction and returns how many of its leading messages
 * committed: all, or, when it failed, those before the message it failed on, committed
 * again without it. A handler's error names that message; a failure elsewhere (the inbox
 * insert, the commit, an outage) does not, so the first half is tried (split and retry).
 * A savepoint per message would cost two more round trips for every message of every
 * batch; this costs only failing batches a retry.
 */
export async function committedPrefix(p: Processing, run: readonly ReadMessage[]): Promise<number> {
  const progress: TransactionProgress = { index: -1 };
  let committed: Committed;
  try {
    committed = await transactMessages(p, run, progress);
  } catch (err) {
    if (p.isClosed()) throw err;
    const end = progress.index >= 0 && progress.index < run.length ? progress.index : Math.floor(run.length / 2);
    return end === 0 ? 0 : committedPrefix(p, run.slice(0, end));
  }
  await settle(p, run, committed);
  return run.length;
}
