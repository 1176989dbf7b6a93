import { DataSource } from 'typeorm';
import { backoffMs, sleep } from './backoff';
import { deadLetterRecord } from './dead-letter';
import { decodeEnvelope } from './inbox-envelope';
import { errorMessage, isDatabaseUnavailable, PermanentMessageError } from './inbox-errors';
import { InboxOptions } from './inbox-options';
import { InboxTable } from './inbox-table';
import { Committed, ReadMessage, transact, TransactionProgress } from './inbox-transaction';
import { InboxLogger, InboxMetricLabels, InboxMetricsSink } from './observability';
import { InboxBroker, InboxMessage } from './ports';
import { verifyTransport } from './transport-check';

export interface InboxStats {
  processed: number;
  duplicates: number;
  deadLettered: number;
}

/** What handling needs, with the defaults applied (see `Inbox`). */
export interface Processing {
  readonly consumer: string;
  readonly broker: InboxBroker;
  readonly dataSource: DataSource;
  readonly table: InboxTable;
  readonly handlerFor: InboxOptions['handlerFor'];
  readonly validate?: InboxOptions['validate'];
  readonly eventsOn?: InboxOptions['eventsOn'];
  readonly hooks?: InboxOptions['hooks'];
  readonly metrics?: InboxMetricsSink;
  readonly logger: InboxLogger;
  readonly maxAttempts: number;
  readonly retryBackoffMs: number;
  readonly maxOutageWaitMs: number;
  readonly maxMessageBytes: number;
  readonly transactionBatchSize: number;
  readonly deadLetterTopicFor: (topic: string) => string;
  readonly stats: InboxStats;
  isClosed(): boolean;
}

const labels = (p: Processing, m: InboxMessage): InboxMetricLabels => ({
  consumer: p.consumer,
  topic: m.position.topic,
});

/**
 * Decodes a message, checks it against its transport, routes and validates it; throws
 * PermanentMessageError when it never can be handled.
 */
export function readMessage(p: Processing, message: InboxMessage): ReadMessage {
  const envelope = decodeEnvelope(message.value, p.maxMessageBytes);
  verifyTransport(message.transport, envelope, p.eventsOn);
  const handler = p.handlerFor(envelope.type);
  if (!handler) throw new PermanentMessageError(`no handler for event type "${envelope.type}"`);
  try {
    return { message, envelope, handler, payload: p.validate ? p.validate(envelope) : envelope.data };
  } catch (err) {
    throw new PermanentMessageError(`invalid ${envelope.type}: ${errorMessage(err)}`);
  }
}

/** One transaction for the messages; see `transact`. */
export function transactMessages(
  p: Processing,
  messages: readonly ReadMessage[],
  progress?: TransactionProgress,
): Promise<Committed> {
  return transact(
    p.dataSource,
    p.table,
    p.consumer,
    messages,
    (read, seconds) => p.metrics?.handlerDuration(labels(p, read.message), seconds),
    progress,
  );
}

/** After the commit: the hook, the counts, and what the handlers asked to run. */
export async function settle(p: Processing, messages: readonly ReadMessage[], { handled, afterCommit }: Committed) {
  for (const [i, { message }] of messages.entries()) {
    await p.hooks?.afterTransactionCommit?.(message.position);
    if (handled.has(i)) {
      p.stats.processed += 1;
      p.metrics?.handled(labels(p, message));
    } else {
      p.stats.duplicates += 1;
      p.metrics?.duplicate(labels(p, message));
    }
  }
  for (const fn of afterCommit) fn();
}

/**
 * One message in transactions of its own: retried up to `maxAttempts`, then dead-lettered;
 * a message that can never be handled is dead-lettered at once. While the database is
 * unavailable it waits, spending no attempts. Throws only when shutting down or when the
 * dead-letter destination refused: the message then stays unacknowledged.
 */
export async function handleAlone(p: Processing, message: InboxMessage): Promise<void> {
  try {
    await handleWithRetries(p, readMessage(p, message));
  } catch (err) {
    if (p.isClosed() || isDatabaseUnavailable(err)) throw err;
    await deadLetter(p, message, err, err instanceof PermanentMessageError ? 1 : p.maxAttempts);
  }
}

async function handleWithRetries(p: Processing, read: ReadMessage): Promise<void> {
  for (let attempt = 1, waits = 0; ;) {
    try {
      await settle(p, [read], await transactMessages(p, [read]));
      return;
    } catch (err) {
      if (err instanceof PermanentMessageError) throw err;
      if (isDatabaseUnavailable(err)) {
        if (p.isClosed()) throw err;
        waits += 1;
        p.logger.warn('inbox: database unavailable; waiting', { consumer: p.consumer, error: errorMessage(err) });
        await sleep(backoffMs(waits, 2 * p.retryBackoffMs, p.maxOutageWaitMs));
        continue;
      }
      if (attempt >= p.maxAttempts) throw err;
      p.metrics?.retried(labels(p, read.message));
      await sleep(backoffMs(attempt, p.retryBackoffMs));
      attempt += 1;
    }
  }
}

/** The original key, value and headers, with where it came from and why it could not be handled. */
async function deadLetter(p: Processing, message: InboxMessage, err: unknown, attempts: number): Promise<void> {
  const destination = p.deadLetterTopicFor(message.position.topic);
  const error = errorMessage(err);
  p.logger.warn('message dead-lettered', { ...message.position, deadLetterTopic: destination, error });
  await p.broker.deadLetters.send(destination, deadLetterRecord(message, p.consumer, err, attempts));
  p.stats.deadLettered += 1;
  p.metrics?.deadLettered(labels(p, message));
}
