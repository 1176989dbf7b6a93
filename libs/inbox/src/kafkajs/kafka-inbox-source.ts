import { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { backoffMs, sleep } from '../backoff';
import { errorMessage } from '../inbox-errors';
import { InboxMessage, InboxSource, InboxSubscriber, MessageBatch, MessageHeaders } from '../ports';
import { headerClaims } from '../transport-check';
import { readLag } from './kafka-lag';

export interface KafkaInboxSourceOptions {
  topics: string[];
  /** Kafka consumer group. Default: the inbox's consumer name. */
  groupId?: string;
  /** Where a new group starts: the beginning of the topics (default), or only new messages. */
  fromBeginning?: boolean;
  /** Partitions handled at once, each still in offset order. Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Offsets of handled messages are committed this often (or every `commitThreshold`). Default 1000 ms. */
  commitIntervalMs?: number;
  /** ... or after this many handled messages. Default 100. */
  commitThreshold?: number;
  /** Group session timeout; heartbeats go on while handlers run. Default 30 s. */
  sessionTimeoutMs?: number;
  /** How long an idle fetch waits for messages; shutdown and rebalances wait for it. Default 1000 ms. */
  maxWaitTimeInMs?: number;
  /** Ceiling of the back-off before reconnecting after losing the broker (kafkajs's own is 30 s). Default 5 s. */
  maxReconnectDelayMs?: number;
}

/**
 * The consumer port on kafkajs. Connects in the background until the broker and the topics
 * are there, restarts a consumer kafkajs gave up on, and commits an offset only after the
 * inbox acknowledged it.
 */
export class KafkaInboxSource implements InboxSource {
  private consumer?: Consumer;
  private admin?: Promise<Admin>;
  private connecting?: Promise<void>;
  private closed = true;
  private paused = false;
  private lastContact = Date.now();

  /** `adminKafka` reads lag; by default the same client. */
  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaInboxSourceOptions,
    private readonly adminKafka: Kafka = kafka,
  ) {}

  /** The running kafkajs consumer, once connected (for tests and diagnostics). */
  get kafkaConsumer(): Consumer | undefined {
    return this.consumer;
  }

  start(subscriber: InboxSubscriber): void {
    this.closed = false;
    this.connecting = this.connectWithRetry(subscriber);
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.connecting;
    await this.consumer?.disconnect();
    this.consumer = undefined;
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.disconnect();
  }

  pause(): void {
    this.paused = true;
    this.consumer?.pause(this.options.topics.map((topic) => ({ topic })));
  }

  resume(): void {
    this.paused = false;
    this.consumer?.resume(this.options.topics.map((topic) => ({ topic })));
  }

  lastContactAt(): number {
    return this.lastContact;
  }

  async lag(consumer: string): Promise<Map<string, number>> {
    // One admin for concurrent callers (health and a scrape); a failed connect is retried next time.
    this.admin ??= this.connectAdmin();
    return readLag(await this.admin, this.options.groupId ?? consumer, this.options.topics);
  }

  private async connectAdmin(): Promise<Admin> {
    const admin = this.adminKafka.admin();
    try {
      await admin.connect();
      return admin;
    } catch (err) {
      this.admin = undefined;
      throw err;
    }
  }

  private async connectWithRetry(subscriber: InboxSubscriber): Promise<void> {
    const maxReconnectDelay = this.options.maxReconnectDelayMs ?? 5_000;
    for (let attempt = 1; !this.closed; attempt++) {
      const sessionTimeout = this.options.sessionTimeoutMs ?? 30_000;
      const consumer = this.kafka.consumer({
        groupId: this.options.groupId ?? subscriber.consumer,
        // How long a dead member's partitions wait for it; heartbeats go on during handlers, so slow ones need no more.
        sessionTimeout,
        // A heartbeat is a round trip only when due: three per session survive one lost beat.
        heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
        // The broker answers a fetch as soon as one record is there: batches come from backlog, never from waiting.
        minBytes: 1,
        // Only an idle fetch waits this long (a record ends the wait), so it costs no latency; it bounds shutdown.
        maxWaitTimeInMs: this.options.maxWaitTimeInMs ?? 1_000,
        retry: { initialRetryTime: 300, maxRetryTime: maxReconnectDelay, retries: 8 },
      });
      this.watch(consumer, subscriber);
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
        await consumer.run({
          // Marked offsets are committed after each fetched batch (kafkajs does so), every
          // interval or threshold within a long one, and at rebalance and shutdown: not one
          // broker round trip per message. A crash redelivers the uncommitted rest, and the
          // inbox absorbs those copies.
          autoCommit: true,
          autoCommitInterval: this.options.commitIntervalMs ?? 1_000,
          autoCommitThreshold: this.options.commitThreshold ?? 100,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => subscriber.deliver(toBatch(payload)),
        });
        this.consumer = consumer;
        if (this.paused) this.pause();
        return;
      } catch (err) {
        await consumer.disconnect().catch(() => undefined);
        const delayMs = backoffMs(attempt, 500, maxReconnectDelay);
        subscriber.logger.warn('inbox consumer could not start; retrying', {
          consumer: subscriber.consumer,
          attempt,
          delayMs,
          error: errorMessage(err),
        });
        await sleep(delayMs);
      }
    }
  }

  /** Tracks broker contact for health, and restarts a consumer kafkajs gave up on. */
  private watch(consumer: Consumer, subscriber: InboxSubscriber): void {
    const contact = () => (this.lastContact = Date.now());
    const { HEARTBEAT, FETCH, GROUP_JOIN, CONNECT, CRASH } = consumer.events;
    for (const event of [HEARTBEAT, FETCH, GROUP_JOIN, CONNECT]) consumer.on(event, contact);
    consumer.on(CRASH, ({ payload }) => {
      subscriber.logger.error('inbox consumer crashed', {
        consumer: subscriber.consumer,
        error: errorMessage(payload.error),
        restart: payload.restart,
      });
      if (!payload.restart && !this.closed) {
        this.consumer = undefined;
        this.connecting = consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => this.connectWithRetry(subscriber));
      }
    });
  }
}

/** A fetched batch of one partition; acknowledging marks the offset, committed when due. */
function toBatch({
  batch,
  resolveOffset,
  heartbeat,
  commitOffsetsIfNecessary,
  isRunning,
  isStale,
}: EachBatchPayload): MessageBatch {
  const { topic, partition } = batch;
  const messages: InboxMessage[] = batch.messages.map((m) => ({
    key: m.key ?? null,
    value: m.value,
    headers: m.headers ?? {},
    position: { topic, partition, offset: m.offset },
    transport: { topic, claims: claimsOf(m.key ?? null, m.headers ?? {}) },
  }));
  return {
    messages,
    ack: async (message) => {
      resolveOffset(message.position.offset);
      await commitOffsetsIfNecessary();
    },
    heartbeat,
    isActive: () => isRunning() && !isStale(),
  };
}

/** The outbox keys every record by its aggregate id (events of one aggregate share a partition): a record without one is refused. */
const claimsOf = (key: Buffer | null, headers: MessageHeaders) => [
  { field: 'aggregateId' as const, from: 'the record key', value: key?.toString('utf8') },
  ...headerClaims(headers),
];
