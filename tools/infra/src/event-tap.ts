import { ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { waitFor } from './process-utils';
import { inboxQueue } from './rabbitmq-queues';
import { kafkaClient, rabbitmqUrl, settings } from './settings';
import { readTopic } from './topic-reader';

/** A message as tests and the demo see it on either broker. */
export interface TappedMessage {
  /** Kafka's key; on RabbitMQ, which has none, the `aggregateId` header the outbox sets. */
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  /** Kafka's record timestamp; on RabbitMQ, when the tap received it. */
  at: Date;
  /** Where it was: `<topic> partition P offset O`, or `exchange <name>` / `queue <name>`. */
  where: string;
}

export interface EventTap {
  readonly messages: TappedMessage[];
  /** Waits until at least `count` messages match (all messages without a predicate). */
  waitFor(count: number, match?: (m: TappedMessage) => boolean, timeoutMs?: number): Promise<TappedMessage[]>;
  stop(): Promise<void>;
}

const text = (value: unknown): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
const textHeaders = (headers: Record<string, unknown> = {}) =>
  Object.fromEntries(Object.entries(headers).flatMap(([k, v]) => (v == null ? [] : [[k, text(v)]])));

/**
 * What is published to a topic, on the broker of this run (`settings.broker`). Kafka's tap
 * reads the topic from offset 0; RabbitMQ keeps nothing for a queue that was not bound yet, so
 * its tap, a queue of its own bound to the exchange, sees only what is published after this.
 */
export async function tapTopic(topic: string): Promise<EventTap> {
  if (settings.broker === 'kafka') return tapKafka(topic);
  return tapRabbitMq(`exchange ${topic}`, async (connection, onMessage) => {
    const channel = await connection.createChannel();
    await channel.assertExchange(topic, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, topic, '#');
    await channel.consume(queue, (m) => m && onMessage(m, `exchange ${topic}`), { noAck: true });
  });
}

/**
 * The dead letters of a topic's consumers: Kafka's `<topic>.dlt` (the inbox's `deadLetterTopicFor`), or each consumer's RabbitMQ
 * dead-letter queue, read without taking anything off it (nothing is acknowledged).
 */
export async function tapDeadLetters(topic: string, consumers: readonly string[]): Promise<EventTap> {
  if (settings.broker === 'kafka') return tapKafka(`${topic}.dlt`);
  return tapRabbitMq(`dead letters of ${topic}`, async (connection, onMessage) => {
    for (const consumer of consumers) {
      const { deadLetterQueue } = inboxQueue(topic, consumer);
      const channel = await connection.createChannel();
      await channel.checkQueue(deadLetterQueue); // declared by infra and by the consumer
      await channel.consume(deadLetterQueue, (m) => m && onMessage(m, `queue ${deadLetterQueue}`), { noAck: false });
    }
  });
}

/**
 * Publishes messages to a topic as the relay does on the broker of this run (or the one
 * named): Kafka with the key, RabbitMQ (which has none: the `aggregateId` header stands for it)
 * to the exchange with the `type` header as routing key and the `id` header as message id;
 * each confirmed.
 */
export async function publishToTopic(
  topic: string,
  messages: { key: string | null; value: Buffer | string; headers: Record<string, string> }[],
  broker = settings.broker,
): Promise<void> {
  if (broker === 'kafka') {
    const producer = new Kafka({ clientId: 'e2e', ...kafkaClient(), logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
    return;
  }
  const connection = await connect(rabbitmqUrl());
  try {
    const channel = await connection.createConfirmChannel();
    for (const { value, headers } of messages)
      channel.publish(topic, headers.type ?? '', Buffer.from(value), {
        persistent: true,
        mandatory: true,
        messageId: headers.id,
        headers,
      });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

async function tapKafka(topic: string): Promise<EventTap> {
  const reader = await readTopic(topic);
  const messages: TappedMessage[] = [];
  const converted = () => {
    for (const m of reader.messages.slice(messages.length))
      messages.push({
        key: m.key === null ? null : text(m.key),
        value: m.value ?? Buffer.alloc(0),
        headers: textHeaders(m.headers),
        at: new Date(Number(m.timestamp)),
        where: `${topic} partition ${m.partition} offset ${m.offset}`,
      });
    return messages;
  };
  return {
    get messages() {
      return converted();
    },
    waitFor: (count, match = () => true, timeoutMs = 30_000) =>
      waitFor(`${count} messages on ${topic}`, async () => converted().filter(match).length >= count, timeoutMs).then(
        () => converted().filter(match),
      ),
    stop: () => reader.stop(),
  };
}

async function tapRabbitMq(
  what: string,
  subscribe: (connection: ChannelModel, onMessage: (m: ConsumeMessage, where: string) => void) => Promise<void>,
): Promise<EventTap> {
  const connection = await connect(rabbitmqUrl());
  const messages: TappedMessage[] = [];
  try {
    await subscribe(connection, (m, where) => {
      const headers = textHeaders(m.properties.headers);
      messages.push({ key: headers.aggregateId ?? null, value: m.content, headers, at: new Date(), where });
    });
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw err;
  }
  return {
    messages,
    async waitFor(count, match = () => true, timeoutMs = 30_000) {
      await waitFor(`${count} messages on ${what}`, async () => messages.filter(match).length >= count, timeoutMs);
      return messages.filter(match);
    },
    // Closing returns what was not acknowledged to its queue.
    stop: () => connection.close().catch(() => undefined),
  };
}
