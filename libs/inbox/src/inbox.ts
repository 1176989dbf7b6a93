import { handleBatch } from './batch-handling';
import { INBOX_DEFAULTS, InboxOptions } from './inbox-options';
import { inboxTable } from './inbox-table';
import { InboxStats, Processing } from './message-handling';
import { consoleInboxLogger } from './observability';
import { installPgErrorListener } from './pg-error-listener';
import { deleteExpiredRows } from './retention';

export interface InboxHealth {
  up: boolean;
  reason?: string;
  lag?: number;
  brokerSilentMs: number;
  idleMs: number;
}

/**
 * Makes a consumer's handlers idempotent: each message is handled in a database
 * transaction together with its inbox row (a duplicate finds the row and is skipped),
 * alone or with the messages next to it in a batch, and acknowledged only after that
 * transaction committed. Messages that can never succeed are dead-lettered and the
 * consumer moves on; a database outage holds the batch instead. Broker-neutral: the
 * broker comes in through `options.broker`, the handlers through `options.handlerFor`.
 */
export class Inbox {
  readonly stats: InboxStats = { processed: 0, duplicates: 0, deadLettered: 0 };
  private readonly processing: Processing;
  private closed = true;
  private retentionTimer?: NodeJS.Timeout;
  private unwatchLag?: () => void;
  private lastProgressAt = Date.now();

  constructor(private readonly options: InboxOptions) {
    const d = INBOX_DEFAULTS;
    this.processing = {
      consumer: options.consumer,
      broker: options.broker,
      dataSource: options.dataSource,
      table: inboxTable(options.table),
      handlerFor: (type) => options.handlerFor(type),
      validate: options.validate,
      eventsOn: options.eventsOn,
      hooks: options.hooks,
      metrics: options.metrics,
      logger: options.logger ?? consoleInboxLogger,
      maxAttempts: options.maxAttempts ?? d.maxAttempts,
      retryBackoffMs: options.retryBackoffMs ?? d.retryBackoffMs,
      maxOutageWaitMs: options.maxOutageWaitMs ?? d.maxOutageWaitMs,
      maxMessageBytes: options.maxMessageBytes ?? d.maxMessageBytes,
      transactionBatchSize: Math.max(1, options.transactionBatchSize ?? d.transactionBatchSize),
      deadLetterTopicFor: options.deadLetterTopicFor ?? d.deadLetterTopicFor,
      stats: this.stats,
      isClosed: () => this.closed,
    };
  }

  get consumer(): string {
    return this.options.consumer;
  }

  /** Starts consuming in the background and returns at once; retention runs on a timer. */
  start(): void {
    if (!this.closed) return;
    this.closed = false;
    installPgErrorListener(this.options.dataSource);
    this.options.broker.source.start({
      consumer: this.options.consumer,
      logger: this.processing.logger,
      deliver: (batch) => handleBatch(this.processing, batch, () => (this.lastProgressAt = Date.now())),
    });
    const interval = this.options.retentionIntervalMs ?? INBOX_DEFAULTS.retentionIntervalMs;
    this.retentionTimer = setInterval(() => void this.applyRetention().catch(() => undefined), interval);
    this.retentionTimer.unref();
    this.unwatchLag = this.options.metrics?.watchLag({
      consumer: this.options.consumer,
      lagByTopic: () => this.lagByTopic(),
    });
  }

  /** Stops consuming; messages not acknowledged yet are delivered again to whoever consumes next. */
  async stop(): Promise<void> {
    this.closed = true;
    clearInterval(this.retentionTimer);
    this.unwatchLag?.();
    await this.options.broker.source.stop();
    await this.options.broker.deadLetters.close();
  }

  /** Stops fetching without leaving the group (or queue); batches in flight finish. */
  pause(): void {
    this.options.broker.source.pause();
  }

  resume(): void {
    this.options.broker.source.resume();
  }

  /** Deletes this consumer's inbox rows past the retention horizon. Returns rows deleted. */
  applyRetention(): Promise<number> {
    return deleteExpiredRows(
      this.options.dataSource,
      this.processing.table,
      this.options.consumer,
      this.options.retentionDays ?? INBOX_DEFAULTS.retentionDays,
    );
  }

  /** Down when the broker has been silent for a while, or when there is lag and no progress. */
  async health(): Promise<InboxHealth> {
    const now = Date.now();
    const brokerSilentMs = now - this.options.broker.source.lastContactAt();
    const idleMs = now - this.lastProgressAt;
    if (brokerSilentMs > (this.options.brokerDownAfterMs ?? INBOX_DEFAULTS.brokerDownAfterMs)) {
      return { up: false, reason: 'broker unreachable', brokerSilentMs, idleMs };
    }
    const lag = await this.lagByTopic().then(
      (byTopic) => [...byTopic.values()].reduce((sum, n) => sum + n, 0),
      () => undefined,
    );
    if (lag === undefined) return { up: false, reason: 'lag unknown: broker unreachable', brokerSilentMs, idleMs };
    if (lag > 0 && idleMs > (this.options.stalledAfterMs ?? INBOX_DEFAULTS.stalledAfterMs)) {
      return { up: false, reason: 'lag without progress', lag, brokerSilentMs, idleMs };
    }
    return { up: true, lag, brokerSilentMs, idleMs };
  }

  /** Per topic: messages not yet acknowledged; a frozen broker must not hold health checks and scrapes. */
  private async lagByTopic(): Promise<Map<string, number>> {
    const ms = this.options.lagTimeoutMs ?? INBOX_DEFAULTS.lagTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`lag unknown: no answer within ${ms} ms`)), ms);
    });
    return Promise.race([this.options.broker.source.lag(this.options.consumer), timeout]).finally(() =>
      clearTimeout(timer),
    );
  }
}
