import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { Consumer, EachMessagePayload, IHeaders, Kafka, KafkaConfig, logLevel, Partitioners, Producer } from 'kafkajs';
import { decodeEnvelope, InboxEnvelope, PermanentMessageError } from './inbox-envelope';
import { InboxContext, InboxMessageMeta } from './inbox-context';

export interface KafkaInboxOptions {
  /** Consumer name: the Kafka group id and the inbox dedup scope. */
  consumer: string;
  topics: string[];
  kafka: KafkaConfig;
  dataSource: DataSource;
  /**
   * Checks envelope and data against the contract before the handler runs; throw to
   * reject the message (it goes to the dead-letter topic). Return the value to pass as
   * the handler's payload. Default: `envelope.data` unchecked.
   */
  validate?: (envelope: InboxEnvelope) => unknown;
  /** Handler attempts before a message is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt. Default 200 ms. */
  retryBackoffMs?: number;
  /** Dead-letter topic for a source topic. Default `<topic>.dlt`. */
  deadLetterTopicFor?: (topic: string) => string;
}

export interface InboxStats {
  processed: number;
  duplicates: number;
  deadLettered: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A NestJS transport on kafkajs that makes `@EventPattern(type)` handlers idempotent:
 * each message is handled in one database transaction together with its inbox row
 * (a duplicate finds the row and is skipped), and the offset is committed only after
 * that transaction committed. Messages that can never succeed go to a dead-letter topic
 * and the partition moves on.
 */
export class KafkaInboxServer extends Server implements CustomTransportStrategy {
  private readonly kafka: Kafka;
  private consumer?: Consumer;
  private producer?: Producer;
  private connecting?: Promise<void>;
  private closed = false;
  readonly stats: InboxStats = { processed: 0, duplicates: 0, deadLettered: 0 };

  constructor(private readonly options: KafkaInboxOptions) {
    super();
    this.kafka = new Kafka({ logLevel: logLevel.WARN, ...options.kafka });
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
    callback();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.connecting;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  private async connectWithRetry(): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      const consumer = this.kafka.consumer({
        groupId: this.options.consumer,
        sessionTimeout: 30_000,
        heartbeatInterval: 3_000,
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: (payload) => this.handleMessage(payload) });
        this.consumer = consumer;
        return;
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        const delay = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
        this.logger.warn?.({
          msg: 'inbox consumer could not start; retrying',
          consumer: this.options.consumer,
          attempt,
          delayMs: delay,
          error: err instanceof Error ? err.message : String(err),
        });
        await sleep(delay);
      }
    }
  }

  on(): never {
    throw new Error('KafkaInboxServer does not emit events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async handleMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const meta: InboxMessageMeta = { topic, partition, offset: message.offset };
    // Heartbeats go on while a slow handler runs, so the group does not evict us.
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
    try {
      await this.process(message.value, meta);
    } catch (err) {
      await this.deadLetter(
        message.value,
        message.headers ?? {},
        meta,
        err,
        err instanceof PermanentMessageError ? 1 : this.maxAttempts,
      );
    } finally {
      clearInterval(beat);
    }
    await this.consumer?.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }

  private get maxAttempts(): number {
    return this.options.maxAttempts ?? 5;
  }

  private async process(value: Buffer | null, meta: InboxMessageMeta): Promise<void> {
    const envelope = decodeEnvelope(value);
    const handler = this.getHandlerByPattern(envelope.type);
    if (!handler) throw new PermanentMessageError(`no handler for event type "${envelope.type}"`);
    let payload: unknown;
    try {
      payload = this.options.validate ? this.options.validate(envelope) : envelope.data;
    } catch (err) {
      throw new PermanentMessageError(`invalid ${envelope.type}: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handleOnce(envelope, payload, meta, handler);
        return;
      } catch (err) {
        if (err instanceof PermanentMessageError || attempt >= this.maxAttempts) throw err;
        await sleep((this.options.retryBackoffMs ?? 200) * 2 ** (attempt - 1));
      }
    }
  }

  private async handleOnce(
    envelope: InboxEnvelope,
    payload: unknown,
    meta: InboxMessageMeta,
    handler: NonNullable<ReturnType<Server['getHandlerByPattern']>>,
  ): Promise<void> {
    const afterCommit: (() => void)[] = [];
    const handled = await this.options.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING event_id`,
        [this.options.consumer, envelope.id, envelope.type],
      );
      if (inserted.length === 0) return false; // seen before: the effect is already committed
      const context = new InboxContext([manager, envelope, meta, (fn) => afterCommit.push(fn)]);
      const result = await handler(payload, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
      return true;
    });
    if (!handled) {
      this.stats.duplicates += 1;
      return;
    }
    this.stats.processed += 1;
    for (const fn of afterCommit) fn();
  }

  private async deadLetter(
    value: Buffer | null,
    headers: IHeaders,
    meta: InboxMessageMeta,
    err: unknown,
    attempts: number,
  ) {
    const topic = (this.options.deadLetterTopicFor ?? ((t: string) => `${t}.dlt`))(meta.topic);
    const error = err instanceof Error ? err.message : typeof err === 'object' ? JSON.stringify(err) : String(err);
    this.logger.warn?.({
      msg: 'message dead-lettered',
      topic: meta.topic,
      partition: meta.partition,
      offset: meta.offset,
      deadLetterTopic: topic,
      error,
    });
    await this.producer?.connect();
    await this.producer?.send({
      topic,
      acks: -1,
      messages: [
        {
          value,
          headers: {
            ...headers,
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
  }
}
