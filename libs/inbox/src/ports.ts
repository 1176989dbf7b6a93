import { InboxLogger } from './observability';

/**
 * The inbox's two ports to a broker. The core reads batches from an `InboxSource` and
 * sends what it cannot handle to a `DeadLetterSink`; `/kafkajs` implements both for
 * Kafka. They are shaped so that a queue broker fits too: RabbitMQ's manual ack is
 * `ack`, its prefetch bounds a batch, and a queue (no partitions) is the unit of order.
 */

/** Header values as brokers carry them. */
export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/**
 * Where a message was read. The core only names it (logs, metrics, the dead-letter
 * headers) and passes it to handlers; the adapter gives it meaning.
 */
export interface MessagePosition {
  /** Kafka topic, or RabbitMQ queue: what the consumer subscribes to. */
  readonly topic: string;
  /** Kafka partition; absent where a queue is the unit of order. */
  readonly partition?: number;
  /** Kafka offset, or RabbitMQ delivery tag. */
  readonly offset: string;
}

/**
 * One statement the transport makes about the envelope, e.g. "the record key says the
 * aggregateId is …". The inbox dead-letters a message whose envelope contradicts one.
 */
export interface TransportClaim {
  readonly field: 'id' | 'type' | 'aggregateType' | 'aggregateId';
  /** Where the transport says it, as the dead-letter reason names it: `the record key`, `header "id"`. */
  readonly from: string;
  /** What it says; undefined when the producer must say it and did not (a Kafka record without a key). */
  readonly value: string | undefined;
}

/** How the producer sent a message, as far as the broker tells; checked against the envelope. */
export interface MessageTransport {
  /** The topic the producer wrote: the Kafka topic, the RabbitMQ exchange (not the queue read). */
  readonly topic: string;
  /** What the key, headers and broker properties say of the envelope (see `headerClaims`). */
  readonly claims: readonly TransportClaim[];
}

/** A message as the broker delivered it, untouched. */
export interface InboxMessage {
  /** The message key; null where there is none (always on RabbitMQ, which has no key). */
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: MessageHeaders;
  readonly position: MessagePosition;
  readonly transport: MessageTransport;
}

/** Messages of one unit of order (a partition, a queue), in that order. */
export interface MessageBatch {
  readonly messages: readonly InboxMessage[];
  /**
   * Acknowledges `message` and every message before it in this batch. The core calls it
   * only after their database transaction committed, or after they were dead-lettered.
   * An adapter may defer the broker round trip (Kafka commits marked offsets every
   * interval); a message never acknowledged is delivered again.
   */
  ack(message: InboxMessage): Promise<void>;
  /** Keeps the consumer's membership alive while a slow handler runs; cheap to call often. */
  heartbeat(): Promise<void>;
  /** False once the rest of the batch must be left alone (shutdown, rebalance). */
  isActive(): boolean;
}

export interface InboxSubscriber {
  /** The inbox's consumer name: its dedup scope, and the adapter's default group. */
  readonly consumer: string;
  /** Where the adapter logs its connection trouble. */
  readonly logger: InboxLogger;
  /**
   * Handles a batch, acknowledging as it goes. It rejects only when it could not finish
   * (shutdown, or the dead-letter destination refused): the adapter then delivers the
   * unacknowledged rest again.
   */
  deliver(batch: MessageBatch): Promise<void>;
}

/** The consumer port: subscribing, delivering batches, acknowledging, health. */
export interface InboxSource {
  /**
   * Starts delivering to `subscriber` in the background and returns at once: the adapter
   * connects, and reconnects after losing the broker, with back-off and a ceiling, so a
   * service starts (and reports unhealthy) without its broker.
   */
  start(subscriber: InboxSubscriber): void;
  /** Stops delivering and disconnects; what was not acknowledged is delivered again later. */
  stop(): Promise<void>;
  /** Stops fetching without leaving the group or the queue; in-flight batches finish. */
  pause(): void;
  resume(): void;
  /** When the broker last answered (epoch ms), for health. */
  lastContactAt(): number;
  /**
   * Messages not yet acknowledged by `consumer` (the inbox's consumer name, as `start` gets
   * it), per topic or queue; health asks before the start too. The core bounds the wait.
   */
  lag(consumer: string): Promise<Map<string, number>>;
}

/** A record for the dead-letter destination: the original bytes with extra headers. */
export interface DeadLetterRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: MessageHeaders;
}

/** The dead-letter port. */
export interface DeadLetterSink {
  /**
   * Resolves once the broker has the record durably (Kafka acks=all, RabbitMQ publisher
   * confirm); rejects otherwise, and the message is delivered again.
   */
  send(destination: string, record: DeadLetterRecord): Promise<void>;
  close(): Promise<void>;
}

/** Both ports, as an adapter for one broker provides them. */
export interface InboxBroker {
  readonly source: InboxSource;
  readonly deadLetters: DeadLetterSink;
}
