import { readableRun } from './batch-runs';
import { Committed, ReadMessage } from './inbox-transaction';
import { handleAlone, Processing, readMessage, settle, transactMessages } from './message-handling';
import { MessageBatch } from './ports';

/** Heartbeats go on while slow handlers run; adapters send one only when it is due. */
const HEARTBEAT_EVERY_MS = 1_000;

/**
 * A delivered batch, in order: runs of readable messages go through one transaction each;
 * a message that cannot be read, or a run whose transaction failed, goes one message at a
 * time. A message is acknowledged only after its transaction committed, or after it was
 * dead-lettered. `onProgress` is called after each run, for health.
 */
export async function handleBatch(p: Processing, batch: MessageBatch, onProgress: () => void): Promise<void> {
  const { messages } = batch;
  const beat = setInterval(() => void batch.heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
  try {
    for (let i = 0; i < messages.length && batch.isActive();) {
      const run = readableRun(messages, i, p.transactionBatchSize, (m) => readMessage(p, m));
      if (run.length >= 2 && (await handledAsRun(p, run))) {
        await batch.ack(run[run.length - 1].message);
        i += run.length;
      } else {
        for (const message of run.length > 0 ? run.map((r) => r.message) : [messages[i]]) {
          await handleAlone(p, message);
          await batch.ack(message);
          i += 1;
        }
      }
      onProgress();
      await batch.heartbeat();
    }
  } finally {
    clearInterval(beat);
  }
}

/** False when the run's transaction failed and nothing of it was committed. */
async function handledAsRun(p: Processing, run: ReadMessage[]): Promise<boolean> {
  let committed: Committed;
  try {
    committed = await transactMessages(p, run);
  } catch (err) {
    if (p.isClosed()) throw err;
    return false; // each message again on its own: retries, dead letters, waiting for the database
  }
  await settle(p, run, committed);
  return true;
}
