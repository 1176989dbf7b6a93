import { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { backoffMs, sleep } from '../backoff';
import { errorMessage } from '../inbox-errors';
import { InboxMessage, InboxSource, InboxSubscriber, MessageBatch, MessageHeaders, TransportClaim } from '../ports';
import { AmqpUrl, openConnection } from './connection';
import { headerClaims } from '../transport-check';
import { toMessageHeaders } from './headers';
import { declareInboxQueue, inboxQueueTopology, InboxQueueSettings, InboxQueueTopology } from './topology';

export interface RabbitMqInboxSourceOptions extends InboxQueueSettings {
  /** An AMQP URL or amqplib's connect options; heartbeats every 5 s unless they say. */
  url: AmqpUrl;
  /** The topic exchanges to consume: one queue of the consumer's own on each. */
  exchanges: string[];
  /** Unacknowledged messages per queue: the most one batch holds. Default 100. */
  prefetch?: number;
  /** Ceiling of the back-off before reconnecting after losing the broker. Default 5 s. */
  maxReconnectDelayMs?: number;
}

/** One queue's consumer on its own channel: delivery tags, and so `ack` with `allUpTo`, are per channel. */
interface QueueConsumer {
  readonly topology: InboxQueueTopology;
  readonly channel: Channel;
  readonly buffer: ConsumeMessage[];
  draining: boolean;
}

interface Session {
  readonly connection: ChannelModel;
  readonly consumers: QueueConsumer[];
  /** Ends the session: the run loop closes it and connects again (or stops). */
  readonly end: () => void;
  lost: boolean;
}

/**
 * The consumer port on RabbitMQ through amqplib. Each exchange gets a quorum queue of the
 * consumer's own (single active consumer, see `declareInboxQueue`), consumed with manual acks
 * and a bounded prefetch. Messages are handed over in queue order, a batch being what arrived
 * while the previous one was handled; `ack` acknowledges up to a message only after the inbox
 * committed it. A lost connection, or a batch the inbox could not finish, ends the session:
 * the broker returns every unacknowledged message, and the source connects again with back-off.
 */
export class RabbitMqInboxSource implements InboxSource {
  private subscriber?: InboxSubscriber;
  private session?: Session;
  private admin?: Promise<{ connection: ChannelModel; channel: Channel }>;
  private running?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = true;
  private paused = false;
  private lostAt = Date.now();
  private endAttempt?: () => void;

  constructor(private readonly options: RabbitMqInboxSourceOptions) {}

  /** The queues `consumer` reads, with their dead-letter queues. */
  topologyFor(consumer: string): InboxQueueTopology[] {
    return this.options.exchanges.map((exchange) => inboxQueueTopology(exchange, consumer, this.options));
  }

  start(subscriber: InboxSubscriber): void {
    this.subscriber = subscriber;
    this.closed = false;
    this.running = this.run(subscriber);
  }

  async stop(): Promise<void> {
    this.closed = true;
    // Batches out finish their current message (isActive turns false) and acknowledge it.
    await Promise.allSettled([...this.inFlight]);
    this.endAttempt?.();
    await this.running;
    const admin = await this.admin?.catch(() => undefined);
    this.admin = undefined;
    await admin?.connection.close().catch(() => undefined);
  }

  pause(): void {
    this.paused = true; // the prefetch stops the broker; nothing leaves the queue
  }

  resume(): void {
    this.paused = false;
    const session = this.session;
    if (session) for (const consumer of session.consumers) this.kick(session, consumer);
  }

  lastContactAt(): number {
    return this.session && !this.session.lost ? Date.now() : this.lostAt;
  }

  /** Ready messages of each queue (those delivered and not yet acknowledged are not counted). */
  async lag(consumer: string): Promise<Map<string, number>> {
    const lag = new Map<string, number>();
    for (const { queue } of this.topologyFor(consumer)) {
      const admin = await (this.admin ??= this.openAdmin());
      try {
        lag.set(queue, (await admin.channel.checkQueue(queue)).messageCount);
      } catch (err) {
        // A failed check closes the channel; the next call opens another.
        this.admin = undefined;
        void admin.connection.close().catch(() => undefined);
        // No queue yet: nothing was routed to this consumer, so nothing waits for it.
        if ((err as { code?: number }).code === 404) lag.set(queue, 0);
        else throw err;
      }
    }
    return lag;
  }

  private async openAdmin() {
    try {
      const connection = await openConnection(this.options.url, () => (this.admin = undefined));
      return { connection, channel: await connection.createChannel() };
    } catch (err) {
      this.admin = undefined;
      throw err;
    }
  }

  /** Connects, consumes until the session ends, and again, until `stop`. */
  private async run(subscriber: InboxSubscriber): Promise<void> {
    const maxDelay = this.options.maxReconnectDelayMs ?? 5_000;
    for (let attempt = 1; !this.closed; attempt++) {
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      this.endAttempt = end;
      try {
        this.session = await this.connect(subscriber, end);
        attempt = 0;
        await ended;
      } catch (err) {
        const delayMs = backoffMs(attempt, 500, maxDelay);
        subscriber.logger.warn('inbox consumer could not start; retrying', {
          consumer: subscriber.consumer,
          attempt,
          delayMs,
          error: errorMessage(err),
        });
        await Promise.race([sleep(delayMs), ended]);
      }
      await this.closeSession();
    }
  }

  private async connect(subscriber: InboxSubscriber, end: () => void): Promise<Session> {
    const connection = await openConnection(this.options.url, end);
    const session: Session = { connection, consumers: [], end, lost: false };
    try {
      for (const topology of this.topologyFor(subscriber.consumer)) {
        const channel = await connection.createChannel();
        channel.on('error', end);
        channel.on('close', end);
        if (this.options.declareTopology !== false)
          await declareInboxQueue(channel, topology, this.options.deliveryLimit);
        await channel.prefetch(this.options.prefetch ?? 100);
        const consumer: QueueConsumer = { topology, channel, buffer: [], draining: false };
        session.consumers.push(consumer);
        await channel.consume(
          topology.queue,
          (message) => {
            if (!message) return end(); // the broker cancelled the consumer (queue deleted)
            consumer.buffer.push(message);
            this.kick(session, consumer);
          },
          { noAck: false },
        );
      }
      return session;
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  /** Hands the buffered messages to the inbox unless a batch of this queue is out or it is paused. */
  private kick(session: Session, consumer: QueueConsumer): void {
    const subscriber = this.subscriber;
    if (!subscriber || session.lost || this.closed || this.paused) return;
    if (consumer.draining || consumer.buffer.length === 0) return;
    consumer.draining = true;
    const batch = toBatch(consumer, consumer.buffer.splice(0), session, () => !this.closed);
    const delivery = subscriber.deliver(batch).then(
      () => {
        consumer.draining = false;
        this.kick(session, consumer);
      },
      (err: unknown) => {
        if (session.lost) return;
        // What was not acknowledged comes again once the session is closed.
        subscriber.logger.warn('inbox batch not finished; reconnecting', {
          consumer: subscriber.consumer,
          queue: consumer.topology.queue,
          error: errorMessage(err),
        });
        session.end();
      },
    );
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    if (!session) return;
    session.lost = true;
    this.lostAt = Date.now();
    this.session = undefined;
    await session.connection.close().catch(() => undefined);
  }
}

function toBatch(
  consumer: QueueConsumer,
  delivered: ConsumeMessage[],
  session: Session,
  running: () => boolean,
): MessageBatch {
  const { queue } = consumer.topology;
  const byMessage = new Map<InboxMessage, ConsumeMessage>();
  const messages = delivered.map((m) => {
    const headers = toMessageHeaders(m.properties.headers);
    const message: InboxMessage = {
      key: null, // RabbitMQ has no message key: the outbox puts the aggregate id in a header
      value: m.content,
      headers,
      position: { topic: queue, offset: String(m.fields.deliveryTag) },
      transport: { topic: m.fields.exchange, claims: claimsOf(m, headers) },
    };
    byMessage.set(message, m);
    return message;
  });
  return {
    messages,
    ack: async (message) => {
      const original = byMessage.get(message);
      if (!original) throw new Error('ack of a message that is not in this batch');
      if (session.lost) throw new Error('the connection was lost; the message will be delivered again');
      consumer.channel.ack(original, true);
    },
    heartbeat: async () => undefined, // AMQP heartbeats are the connection's, sent by amqplib
    isActive: () => running() && !session.lost,
  };
}

/**
 * The outbox publishes with the event type as routing key, the event id as message id, and
 * the aggregate id in a header: RabbitMQ has no message key, so that header stands for it
 * and a message without it is refused, as a Kafka record without a key is.
 */
function claimsOf(m: ConsumeMessage, headers: MessageHeaders): TransportClaim[] {
  const { messageId } = m.properties as { messageId?: unknown };
  return [
    { field: 'type', from: 'the routing key', value: m.fields.routingKey },
    ...(messageId === undefined || messageId === null
      ? []
      : [{ field: 'id' as const, from: 'the message id', value: String(messageId) }]),
    ...(headers.aggregateId === undefined
      ? [{ field: 'aggregateId' as const, from: 'header "aggregateId"', value: undefined }]
      : []),
    ...headerClaims(headers),
  ];
}
