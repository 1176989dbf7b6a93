import { DataSource } from 'typeorm';
import { IHeaders, Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { OutboxEvent } from './outbox-event';

export interface OutboxLogger {
  log(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export interface OutboxRelayOptions {
  /** Maps an aggregate type to its topic. Default: Debezium's `outbox.event.<aggregateType>`. */
  topicFor?: (aggregateType: string) => string;
  /** Rows claimed and sent per Kafka request. Default 200. */
  batchSize?: number;
  /** How often an idle relay looks for rows. Default 250 ms. */
  pollIntervalMs?: number;
  /** First back-off after a failed publish; doubles per failure, with jitter. Default 250 ms. */
  retryBackoffMs?: number;
  /** Ceiling of that back-off. Default 30 s. */
  maxRetryBackoffMs?: number;
  logger?: OutboxLogger;
}

interface ClaimedRow {
  id: string;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: OutboxEvent;
  headers: Record<string, string>;
}

const silentLogger: OutboxLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Publishes outbox rows to Kafka and marks them published only after the broker
 * acknowledged them (acks=all): at-least-once. A crash between the acknowledgement and
 * the commit of the mark publishes the rows again; consumers deduplicate by event id.
 */
export class OutboxRelay {
  private readonly producer: Producer;
  private readonly options: Required<OutboxRelayOptions>;
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private failures = 0;

  constructor(
    private readonly dataSource: DataSource,
    kafka: Kafka,
    options: OutboxRelayOptions = {},
  ) {
    this.options = {
      topicFor: (aggregateType) => `outbox.event.${aggregateType}`,
      batchSize: 200,
      pollIntervalMs: 250,
      retryBackoffMs: 250,
      maxRetryBackoffMs: 30_000,
      logger: silentLogger,
      ...options,
    };
    // Idempotent with one request in flight: a retried send can neither duplicate nor reorder.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, maxRetryTime: 10_000 },
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.producer.disconnect();
  }

  /** Asks the relay to look for rows now instead of at its next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** One claim → publish → mark cycle. Returns the number of rows published. */
  async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      // SKIP LOCKED lets a second relay instance move on instead of queueing behind this one.
      const rows: ClaimedRow[] = await manager.query(
        `SELECT id, aggregatetype, aggregateid, type, payload, headers
           FROM outbox
          WHERE published_at IS NULL AND next_attempt_at <= now()
          ORDER BY seq
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [this.options.batchSize],
      );
      if (rows.length === 0) return 0;
      await this.publish(rows);
      await manager.query(
        'UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])',
        [rows.map((r) => r.id)],
      );
      return rows.length;
    });
  }

  private async publish(rows: ClaimedRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const topic = this.options.topicFor(row.aggregatetype);
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: row.aggregateid, value: JSON.stringify(row.payload), headers: this.headersOf(row) });
      byTopic.set(topic, messages);
    }
    await this.producer.connect();
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  private headersOf(row: ClaimedRow): IHeaders {
    const e = row.payload;
    const headers: IHeaders = {
      ...row.headers,
      id: row.id,
      type: row.type,
      aggregateType: row.aggregatetype,
      aggregateId: row.aggregateid,
      occurredAt: e.occurredAt,
    };
    if (e.correlationId) headers.correlationId = e.correlationId;
    if (e.causationId) headers.causationId = e.causationId;
    return headers;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.relayBatch();
        if (this.failures > 0) this.options.logger.log('outbox relay recovered', { failures: this.failures });
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.options.logger.warn('outbox relay could not publish; will retry', {
          error: err instanceof Error ? err.message : String(err),
          failures: this.failures,
        });
      }
      if (published === this.options.batchSize) continue; // more may be waiting
      await this.sleep(this.failures > 0 ? this.backoff() : this.options.pollIntervalMs);
    }
  }

  private backoff(): number {
    const { retryBackoffMs, maxRetryBackoffMs } = this.options;
    const ceiling = Math.min(maxRetryBackoffMs, retryBackoffMs * 2 ** (this.failures - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }
}
