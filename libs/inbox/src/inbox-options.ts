import { DataSource, EntityManager } from 'typeorm';
import { deadLetterTopicFor } from './dead-letter';
import { InboxEnvelope } from './inbox-envelope';
import { InboxTableOptions } from './inbox-table';
import { InboxLogger, InboxMetricsSink } from './observability';
import { InboxBroker, MessagePosition } from './ports';
import { TopicEvents } from './transport-check';

/** What a handler gets besides its payload. */
export interface InboxHandlerContext {
  /** The transaction shared with the inbox row: do the side effect with it; commit is the inbox's job. */
  readonly manager: EntityManager;
  readonly envelope: InboxEnvelope;
  readonly message: MessagePosition;
  /** Runs fn once the transaction committed, e.g. to wake a sender of emails. */
  afterCommit(fn: () => void): void;
}

export type InboxHandler = (payload: unknown, context: InboxHandlerContext) => Promise<unknown>;

/** The settings every inbox has, whatever runs its handlers (Nest's transport, or your own). */
export interface InboxSettings {
  /** Consumer name: the inbox dedup scope, and the broker's consumer group unless the adapter is told another. */
  consumer: string;
  /** The broker's two ports, e.g. `new KafkaInboxBroker(...)` from `/kafkajs`. */
  broker: InboxBroker;
  /** The DataSource of the database the handlers write to (the default one, or a named one). */
  dataSource: DataSource;
  /** Where the inbox rows are. Default `public.inbox`. */
  table?: InboxTableOptions;
  /**
   * Checks envelope and data against the contract before the handler runs; throw to
   * reject the message (it is dead-lettered). Returns the handler's payload. Default:
   * `envelope.data` unchecked.
   */
  validate?: (envelope: InboxEnvelope) => unknown;
  /**
   * The event types a topic carries and the service that produces them, e.g. from the
   * producers' contracts. A message whose type the topic it was published to does not carry
   * (or from a topic it does not know) is dead-lettered before it is routed. Default: any
   * type on any topic. The key and envelope headers are checked whatever this says.
   */
  eventsOn?: (topic: string) => TopicEvents | undefined;
  /** Handler attempts before a message is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt. Default 200 ms. */
  retryBackoffMs?: number;
  /** Ceiling of the wait between checks while the database is unavailable. Default 5 s. */
  maxOutageWaitMs?: number;
  /** Larger messages are dead-lettered unread. Default 512 KiB. */
  maxMessageBytes?: number;
  /** Dead-letter topic (or queue) for a source. Default `<topic>.dlt`. */
  deadLetterTopicFor?: (topic: string) => string;
  /**
   * Consecutive messages of a batch handled in one database transaction (one inbox insert
   * for all of them, then each handler in order). If a handler throws, the messages before
   * it commit without it and it is handled on its own. 1: a transaction per message (shorter
   * transactions, for handlers that hold hot rows locked). Default 100.
   */
  transactionBatchSize?: number;
  /** Inbox rows older than this are deleted; keep it above the topics' retention. Default 14 days. */
  retentionDays?: number;
  /** How often inbox retention runs. Default 1 h. */
  retentionIntervalMs?: number;
  /** Health: down when the broker has not answered for this long. Default 30 s. */
  brokerDownAfterMs?: number;
  /** Health: down when there is lag and nothing was handled for this long. Default 60 s. */
  stalledAfterMs?: number;
  /** Health and the lag gauge give up on the broker's answer after this long. Default 3 s. */
  lagTimeoutMs?: number;
  /** Where the counts go, e.g. `InboxMetrics.for(register)` from `/prometheus`. Default: nowhere. */
  metrics?: InboxMetricsSink;
  /** Default: JSON lines on the console (Nest's transport passes a Nest Logger). */
  logger?: InboxLogger;
  /** Failpoints for fault tests. */
  hooks?: { afterTransactionCommit?(message: MessagePosition): void | Promise<void> };
}

export interface InboxOptions extends InboxSettings {
  /** The handler for an envelope type; none means the message is dead-lettered. */
  handlerFor(type: string): InboxHandler | undefined;
}

export const INBOX_DEFAULTS = {
  maxAttempts: 5,
  retryBackoffMs: 200,
  maxOutageWaitMs: 5_000,
  maxMessageBytes: 512 * 1024,
  deadLetterTopicFor,
  transactionBatchSize: 100,
  retentionDays: 14,
  retentionIntervalMs: 3_600_000,
  brokerDownAfterMs: 30_000,
  stalledAfterMs: 60_000,
  lagTimeoutMs: 3_000,
} as const;
