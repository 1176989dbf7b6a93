import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { Registry } from 'prom-client';
import { isObservable, lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import {
  Admin,
  Consumer,
  EachBatchPayload,
  KafkaMessage,
  Kafka,
  KafkaConfig,
  logLevel,
  Partitioners,
  Producer,
} from 'kafkajs';
import { decodeEnvelope, InboxEnvelope } from './inbox-envelope';
import { errorMessage, isInfrastructureError, PermanentMessageError } from './inbox-errors';
import { InboxContext, InboxMessageMeta } from './inbox-context';
import { InboxMetrics } from './inbox-metrics';

export interface KafkaInboxOptions {
  /** Consumer name: the inbox dedup scope, and the Kafka group id unless `groupId` is set. */
  consumer: string;
  groupId?: string;
  topics: string[];
  kafka: KafkaConfig;
  dataSource: DataSource;
  /**
   * Checks envelope and data against the contract before the handler runs; throw to
   * reject the message (it goes to the dead-letter topic). Returns the handler's payload.
   * Default: `envelope.data` unchecked.
   */
  validate?: (envelope: InboxEnvelope) => unknown;
  /** Handler attempts before a message is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt. Default 200 ms. */
  retryBackoffMs?: number;
  /** Larger messages are dead-lettered unread. Default 512 KiB. */
  maxMessageBytes?: number;
  /** Dead-letter topic for a source topic. Default `<topic>.dlt`. */
  deadLetterTopicFor?: (topic: string) => string;
  /**
   * Partitions handled at once, each still in offset order: a handler that waits on the
   * database no longer holds up the other partitions. Default 1.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Consecutive messages of one partition handled in one database transaction (one inbox
   * insert for all of them, then each handler in offset order). If any of them fails, the
   * transaction rolls back and each is handled on its own. 1 turns batching off. Default 100.
   */
  transactionBatchSize?: number;
  /** Offsets of handled messages are committed this often (or every 100). Default 1000 ms. */
  commitIntervalMs?: number;
  /** Kafka group session timeout. Default 30 s; heartbeats go on while handlers run. */
  sessionTimeoutMs?: number;
  /**
   * Ceiling of the delay before the consumer reconnects after losing the broker. Default
   * 5 s (kafkajs's own ceiling is 30 s, which left consumers idle long after a restart).
   */
  maxReconnectDelayMs?: number;
  /** Inbox rows older than this are deleted; keep it above the topics' retention. Default 14 days. */
  retentionDays?: number;
  /** How often inbox retention runs. Default 1 h. */
  retentionIntervalMs?: number;
  /** Health: down when the broker has not answered for this long. Default 30 s. */
  brokerDownAfterMs?: number;
  /** Health: down when there is lag and nothing was handled for this long. Default 60 s. */
  stalledAfterMs?: number;
  /** Where the consumer's metrics go, e.g. prom-client's default `register`. Default: none. */
  metricsRegistry?: Registry;
  /** Failpoints for fault tests. */
  hooks?: { afterTransactionCommit?(meta: InboxMessageMeta): void | Promise<void> };
}

export interface InboxStats {
  processed: number;
  duplicates: number;
  deadLettered: number;
}

export interface InboxHealth {
  up: boolean;
  reason?: string;
  lag?: number;
  brokerSilentMs: number;
  idleMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
type Handler = NonNullable<ReturnType<Server['getHandlerByPattern']>>;

/** A message that decoded, has a handler and passed validation. */
interface ReadMessage {
  meta: InboxMessageMeta;
  envelope: InboxEnvelope;
  payload: unknown;
  handler: Handler;
}

interface ReadyMessage extends ReadMessage {
  message: KafkaMessage;
}

interface Committed {
  /** Indexes of the messages handled; the others were duplicates. */
  handled: Set<number>;
  afterCommit: (() => void)[];
}

/**
 * A NestJS transport on kafkajs that makes `@EventPattern(type)` handlers idempotent:
 * each message is handled in a database transaction together with its inbox row (a
 * duplicate finds the row and is skipped), alone or with the messages next to it in a
 * fetched batch, and the offset is committed only after that transaction committed. Messages that can never succeed go to a dead-letter topic
 * and the partition moves on; a database outage pauses the partition instead.
 */
export class KafkaInboxServer extends Server implements CustomTransportStrategy {
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private connecting?: Promise<void>;
  private closed = false;
  private retentionTimer?: NodeJS.Timeout;
  private lastBrokerContactAt = Date.now();
  private lastProgressAt = Date.now();
  private readonly metrics?: InboxMetrics;
  private unwatchLag?: () => void;
  readonly stats: InboxStats = { processed: 0, duplicates: 0, deadLettered: 0 };

  constructor(private readonly options: KafkaInboxOptions) {
    super();
    this.kafka = new Kafka({ logLevel: logLevel.WARN, ...options.kafka });
    this.metrics = options.metricsRegistry && InboxMetrics.for(options.metricsRegistry);
  }

  private get groupId(): string {
    return this.options.groupId ?? this.options.consumer;
  }

  /**
   * Returns at once and connects in the background, retrying until the broker and the
   * topics are there: a service starts (and reports unhealthy) without its broker, and
   * recovers without a restart.
   */
  listen(callback: () => void): void {
    this.closed = false;
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.connecting = this.connectWithRetry();
    const interval = this.options.retentionIntervalMs ?? 3_600_000;
    this.retentionTimer = setInterval(() => void this.applyRetention().catch(() => undefined), interval);
    this.retentionTimer.unref();
    this.unwatchLag = this.metrics?.watchLag({ consumer: this.options.consumer, lagByTopic: () => this.lagByTopic() });
    callback();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.retentionTimer);
    this.unwatchLag?.();
    await this.connecting;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }

  on(): never {
    throw new Error('KafkaInboxServer does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  /** Deletes this consumer's inbox rows past the retention horizon. Returns rows deleted. */
  async applyRetention(): Promise<number> {
    const [{ deleted }] = await this.options.dataSource.query(
      `WITH d AS (
         DELETE FROM inbox WHERE ctid IN (
           SELECT ctid FROM inbox WHERE consumer = $1 AND received_at < now() - make_interval(days => $2) LIMIT 10000)
         RETURNING 1)
       SELECT count(*)::int AS deleted FROM d`,
      [this.options.consumer, this.options.retentionDays ?? 14],
    );
    return deleted;
  }

  /** Down when the broker has been silent for a while, or when there is lag and no progress. */
  async health(): Promise<InboxHealth> {
    const now = Date.now();
    const brokerSilentMs = now - this.lastBrokerContactAt;
    const idleMs = now - this.lastProgressAt;
    if (brokerSilentMs > (this.options.brokerDownAfterMs ?? 30_000)) {
      return { up: false, reason: 'broker unreachable', brokerSilentMs, idleMs };
    }
    const lag = await this.lagByTopic().then(
      (byTopic) => [...byTopic.values()].reduce((sum, n) => sum + n, 0),
      () => undefined,
    );
    if (lag === undefined) return { up: false, reason: 'lag unknown: broker unreachable', brokerSilentMs, idleMs };
    if (lag > 0 && idleMs > (this.options.stalledAfterMs ?? 60_000)) {
      return { up: false, reason: 'lag without progress', lag, brokerSilentMs, idleMs };
    }
    return { up: true, lag, brokerSilentMs, idleMs };
  }

  /** Per topic: messages not yet committed by the group; fails after 3 s without an answer. */
  private async lagByTopic(): Promise<Map<string, number>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('lag unknown: no answer within 3000 ms')), 3000);
    });
    // A frozen broker must not hold health checks and scrapes for kafkajs's 30 s request timeout.
    return Promise.race([this.readLag(), timeout]).finally(() => clearTimeout(timer));
  }

  private async readLag(): Promise<Map<string, number>> {
    if (!this.admin) {
      const kafka = new Kafka({ logLevel: logLevel.NOTHING, ...this.options.kafka, requestTimeout: 3000 });
      this.admin = kafka.admin();
      await this.admin.connect().catch((err: unknown) => {
        this.admin = undefined;
        throw err;
      });
    }
    const admin = this.admin;
    const lags = new Map<string, number>();
    for (const topic of this.options.topics) {
      let lag = 0;
      const [latest, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId: this.groupId, topics: [topic] }),
      ]);
      for (const p of latest) {
        const done = committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1';
        lag += Number(p.high) - (done === '-1' ? Number(p.low) : Number(done));
      }
      lags.set(topic, lag);
    }
    return lags;
  }

  private async connectWithRetry(): Promise<void> {
    const maxReconnectDelay = this.options.maxReconnectDelayMs ?? 5_000;
    for (let attempt = 1; !this.closed; attempt++) {
      const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
      const consumer = this.kafka.consumer({
        groupId: this.groupId,
        sessionTimeout,
        heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
        // An idle fetch returns after 1 s, so shutdown and rebalances do not wait 5 s for it.
        maxWaitTimeInMs: 1_000,
        retry: { initialRetryTime: 300, maxRetryTime: maxReconnectDelay, retries: 8 },
      });
      this.watch(consumer);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
        await consumer.run({
          // An offset is marked only after its transaction committed; marked offsets are
          // committed every second or 100 messages (and at rebalance and shutdown), not one
          // broker round trip per message. A crash redelivers the unmarked rest, and the
          // inbox absorbs those copies.
          autoCommit: true,
          autoCommitInterval: this.options.commitIntervalMs ?? 1_000,
          autoCommitThreshold: 100,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => this.handleBatch(payload),
        });
        this.consumer = consumer;
        return;
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        const delay = Math.min(maxReconnectDelay, 500 * 2 ** Math.min(attempt - 1, 6));
        this.logger.warn?.({
          msg: 'inbox consumer could not start; retrying',
          consumer: this.options.consumer,
          attempt,
          delayMs: delay,
          error: errorMessage(err),
        });
        await sleep(delay);
      }
    }
  }

  /** Tracks broker contact for health, and restarts a consumer kafkajs gave up on. */
  private watch(consumer: Consumer): void {
    const contact = () => (this.lastBrokerContactAt = Date.now());
    for (const event of [
      consumer.events.HEARTBEAT,
      consumer.events.FETCH,
      consumer.events.GROUP_JOIN,
      consumer.events.CONNECT,
    ]) {
      consumer.on(event, contact);
    }
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error?.({
        msg: 'inbox consumer crashed',
        consumer: this.options.consumer,
        error: errorMessage(payload.error),
        restart: payload.restart,
      });
      if (!payload.restart && !this.closed) {
        this.consumer = undefined;
        this.connecting = consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => this.connectWithRetry());
      }
    });
  }

  /**
   * A fetched batch of one partition, in offset order: runs of good messages go through
   * one transaction each; a message that cannot be read, or a run whose transaction
   * failed, goes one message at a time. An offset is marked only after its transaction
   * committed (or the message was dead-lettered).
   */
  private async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    const size = Math.max(1, this.options.transactionBatchSize ?? 100);
    // Heartbeats go on while slow handlers run, so the group does not evict us. kafkajs
    // sends one only when heartbeatInterval has passed, so asking every second is cheap.
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1_000);
    try {
      for (let i = 0; i < messages.length && isRunning() && !isStale();) {
        const run = this.readableRun(topic, partition, messages.slice(i, i + size));
        if (run.length < 2 || !(await this.handleRun(run))) {
          for (const { message } of run.length > 0 ? run : [{ message: messages[i] }]) {
            await this.handleMessage(topic, partition, message);
            resolveOffset(message.offset);
            i += 1;
          }
        } else {
          resolveOffset(run[run.length - 1].message.offset);
          i += run.length;
        }
        this.lastProgressAt = Date.now();
        await heartbeat();
        await commitOffsetsIfNecessary();
      }
    } finally {
      clearInterval(beat);
    }
  }

  /** The leading messages that decode, have a handler and pass validation. */
  private readableRun(topic: string, partition: number, messages: KafkaMessage[]): ReadyMessage[] {
    const run: ReadyMessage[] = [];
    for (const message of messages) {
      const meta: InboxMessageMeta = { topic, partition, offset: message.offset };
      try {
        run.push({ message, meta, ...this.read(message.value) });
      } catch {
        break; // handled on its own, which dead-letters it with its cause
      }
    }
    return run;
  }

  /** One transaction for the run. False when it failed and nothing of it was committed. */
  private async handleRun(run: ReadyMessage[]): Promise<boolean> {
    let committed: Committed;
    try {
      committed = await this.transact(run);
    } catch (err) {
      if (this.closed) throw err;
      return false; // each message again on its own: retries, dead letters, waiting for the database
    }
    await this.settleCommitted(run, committed);
    return true;
  }

  /**
   * Records the messages in the inbox and runs the handler of each one seen for the first
   * time, in one transaction. Returns which ones it handled, and what they asked to run
   * after the commit.
   */
  private async transact(messages: readonly ReadMessage[]): Promise<Committed> {
    const afterCommit: (() => void)[] = [];
    const handled = await this.options.dataSource.transaction(async (manager) => {
      const params: unknown[] = [this.options.consumer];
      const values = messages.map(({ envelope }) => {
        params.push(envelope.id, envelope.type);
        return `($1, $${params.length - 1}, $${params.length})`;
      });
      const inserted: { event_id: string }[] = await manager.query(
        `INSERT INTO inbox (consumer, event_id, type) VALUES ${values.join(', ')}
         ON CONFLICT DO NOTHING RETURNING event_id`,
        params,
      );
      // The first copy of an id is the one inserted; a later copy in the run is a duplicate.
      const unseen = new Set(inserted.map((r) => r.event_id));
      const handled = new Set<number>();
      for (const [i, { envelope, payload, meta, handler }] of messages.entries()) {
        if (!unseen.delete(envelope.id.toLowerCase())) continue; // uuid text comes back lower-case
        const context = new InboxContext([manager, envelope, meta, (fn) => afterCommit.push(fn)]);
        const stopTimer = this.metrics?.handlerDuration.startTimer(this.labels(meta));
        const result = await handler(payload, context);
        if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        stopTimer?.();
        handled.add(i);
      }
      return handled;
    });
    return { handled, afterCommit };
  }

  /** After the commit: the hook, the counts, and what the handlers asked to run. */
  private async settleCommitted(messages: readonly ReadMessage[], { handled, afterCommit }: Committed): Promise<void> {
    for (const [i, { meta }] of messages.entries()) {
      await this.options.hooks?.afterTransactionCommit?.(meta);
      if (handled.has(i)) {
        this.stats.processed += 1;
        this.metrics?.handled.inc(this.labels(meta));
      } else {
        this.stats.duplicates += 1;
        this.metrics?.duplicates.inc(this.labels(meta));
      }
    }
    for (const fn of afterCommit) fn();
  }

  private async handleMessage(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const meta: InboxMessageMeta = { topic, partition, offset: message.offset };
    try {
      await this.process(message.value, meta);
    } catch (err) {
      // Shutting down, or the database is gone: leave the offset alone; the message comes again.
      if (this.closed || isInfrastructureError(err)) throw err;
      const attempts = err instanceof PermanentMessageError ? 1 : (this.options.maxAttempts ?? 5);
      await this.deadLetter(message, meta, err, attempts);
    }
  }

  /** Decodes and validates a message; throws PermanentMessageError when it never can be handled. */
  private read(value: Buffer | null): { envelope: InboxEnvelope; payload: unknown; handler: Handler } {
    const envelope = decodeEnvelope(value, this.options.maxMessageBytes);
    const handler = this.getHandlerByPattern(envelope.type);
    if (!handler) throw new PermanentMessageError(`no handler for event type "${envelope.type}"`);
    try {
      return { envelope, handler, payload: this.options.validate ? this.options.validate(envelope) : envelope.data };
    } catch (err) {
      throw new PermanentMessageError(`invalid ${envelope.type}: ${errorMessage(err)}`);
    }
  }

  private async process(value: Buffer | null, meta: InboxMessageMeta): Promise<void> {
    const message: ReadMessage = { meta, ...this.read(value) };
    const maxAttempts = this.options.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.settleCommitted([message], await this.transact([message]));
        return;
      } catch (err) {
        if (err instanceof PermanentMessageError) throw err;
        if (isInfrastructureError(err) && !this.closed) {
          // Not the message's fault: wait for the database without spending attempts.
          this.logger.warn?.({
            msg: 'inbox: database unavailable; waiting',
            consumer: this.options.consumer,
            error: errorMessage(err),
          });
          await sleep(Math.min(10_000, (this.options.retryBackoffMs ?? 200) * 2 ** Math.min(attempt, 6)));
          attempt -= 1;
          continue;
        }
        if (attempt >= maxAttempts) throw err;
        this.metrics?.retries.inc(this.labels(meta));
        await sleep((this.options.retryBackoffMs ?? 200) * 2 ** (attempt - 1));
      }
    }
  }

  /** The original key, value and headers, with where it came from and why it could not be handled. */
  private async deadLetter(message: KafkaMessage, meta: InboxMessageMeta, err: unknown, attempts: number) {
    const topic = (this.options.deadLetterTopicFor ?? ((t: string) => `${t}.dlt`))(meta.topic);
    const error = errorMessage(err);
    this.logger.warn?.({ msg: 'message dead-lettered', ...meta, deadLetterTopic: topic, error });
    const producer = this.producer as Producer;
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlt-original-topic': meta.topic,
            'dlt-original-partition': String(meta.partition),
            'dlt-original-offset': meta.offset,
            'dlt-consumer': this.options.consumer,
            'dlt-error': error.slice(0, 1000),
            'dlt-attempts': String(attempts),
          },
        },
      ],
    });
    this.stats.deadLettered += 1;
    this.metrics?.deadLettered.inc(this.labels(meta));
  }

  private labels(meta: InboxMessageMeta) {
    return { consumer: this.options.consumer, topic: meta.topic };
  }
}
