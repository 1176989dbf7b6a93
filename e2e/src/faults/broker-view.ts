import { randomUUID } from 'node:crypto';
import { Channel, ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { Kafka } from 'kafkajs';
import { deadLetterTopicFor } from '@transactional-outbox/inbox';
import { declareInboxQueue, inboxQueueTopology } from '@transactional-outbox/inbox/rabbitmq';
import { consumerLag as lagOf, publishToTopic, rabbitmqUrl, readWholeTopic, sleep } from '@shop/infra';

/** One copy of an event as the broker got it; `position` orders the copies of one aggregate. */
export interface PublishedEvent {
  readonly key: string;
  readonly id: string;
  readonly type: string;
  readonly position: number;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
}

export type OutgoingMessage = Parameters<typeof publishToTopic>[1][number];

/** What the fault harness reads from a broker: every copy published, and what consumers have not acknowledged. */
export interface BrokerView {
  /** Prepares reading what is published from now on. */
  open?(): Promise<void>;
  published(source: string): Promise<PublishedEvent[]>;
  /** Unacknowledged messages per consumer and source. */
  lag(): Promise<Record<string, number>>;
  /** The dead letters of every consumer (on RabbitMQ taken off their queues). */
  deadLetters(): Promise<PublishedEvent[]>;
  /** Publishes as the relay does (Kafka: keyed; RabbitMQ: routed by the `type` header), each acknowledged. */
  publish(source: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** Kafka keeps everything: the topic from offset 0 is the record, committed offsets the progress. */
export class KafkaView implements BrokerView {
  constructor(
    private readonly kafka: Kafka,
    private readonly groups: Record<string, readonly string[]>,
  ) {}

  async published(topic: string): Promise<PublishedEvent[]> {
    return (await readWholeTopic(topic)).map((m) => {
      const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]));
      return {
        key: text(m.key),
        id: headers.id,
        type: headers.type,
        position: Number(m.offset),
        value: m.value as Buffer,
        headers,
      };
    });
  }

  async lag(): Promise<Record<string, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const lag: Record<string, number> = {};
      for (const [group, topics] of Object.entries(this.groups)) lag[group] = await lagOf(admin, { [group]: topics });
      return lag;
    } finally {
      await admin.disconnect();
    }
  }

  async deadLetters(): Promise<PublishedEvent[]> {
    const topics = new Set(Object.values(this.groups).flat());
    return (await Promise.all([...topics].map((topic) => this.published(deadLetterTopicFor(topic))))).flat();
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return publishToTopic(topic, messages, 'kafka');
  }

  close(): Promise<void> {
    return Promise.resolve(); // holds no connection between calls
  }
}

/**
 * RabbitMQ keeps nothing once acknowledged, so the harness binds a tap queue of its own to each
 * source exchange at the start of the run: every copy published after that lands there, in
 * order. Progress is the services' queues' ready messages.
 */
export class RabbitMqView implements BrokerView {
  private readonly tapOf = (exchange: string) => inboxQueueTopology(exchange, `fault-tap-${this.run}`);
  private readonly seen = new Map<string, PublishedEvent[]>();

  constructor(
    private readonly groups: Record<string, readonly string[]>,
    private readonly run = randomUUID().slice(0, 8),
  ) {}

  /** Declares the taps; call before anything of the run is published. */
  async open(): Promise<void> {
    const exchanges = new Set(Object.values(this.groups).flat());
    await this.withChannel(async (channel) => {
      for (const exchange of exchanges) await declareInboxQueue(channel, this.tapOf(exchange));
    });
  }

  async published(exchange: string): Promise<PublishedEvent[]> {
    const events = this.seen.get(exchange) ?? [];
    this.seen.set(exchange, events);
    for (const event of await this.drain(this.tapOf(exchange).queue))
      events.push({ ...event, position: events.length });
    return events;
  }

  /** Takes everything a queue holds now, in queue order (acknowledged: it is gone from the queue). */
  async drain(queue: string): Promise<PublishedEvent[]> {
    return this.withChannel(async (channel) => {
      const got: ConsumeMessage[] = [];
      let lastAt = Date.now();
      await channel.prefetch(1000);
      const { consumerTag } = await channel.consume(queue, (m) => {
        if (!m) return;
        got.push(m);
        channel.ack(m); // one by one, or the prefetch would stop the broker
        lastAt = Date.now();
      });
      // The queue is taken as empty once nothing came for a second.
      while (Date.now() - lastAt < 1000) await sleep(100);
      await channel.cancel(consumerTag);
      return got.map((m, position) => {
        const headers = Object.fromEntries(Object.entries(m.properties.headers ?? {}).map(([k, v]) => [k, text(v)]));
        return { key: headers.aggregateId, id: headers.id, type: headers.type, position, value: m.content, headers };
      });
    });
  }

  async deadLetters(): Promise<PublishedEvent[]> {
    const letters: PublishedEvent[] = [];
    for (const [consumer, exchanges] of Object.entries(this.groups))
      for (const exchange of exchanges)
        letters.push(...(await this.drain(inboxQueueTopology(exchange, consumer).deadLetterQueue)));
    return letters;
  }

  publish(exchange: string, messages: OutgoingMessage[]): Promise<void> {
    return publishToTopic(exchange, messages, 'rabbitmq');
  }

  async lag(): Promise<Record<string, number>> {
    const lag: Record<string, number> = {};
    await this.withChannel(async (channel) => {
      for (const [consumer, exchanges] of Object.entries(this.groups))
        for (const exchange of exchanges) {
          const { queue } = inboxQueueTopology(exchange, consumer);
          lag[queue] = (await channel.checkQueue(queue)).messageCount;
        }
    });
    return lag;
  }

  async close(): Promise<void> {
    const exchanges = new Set(Object.values(this.groups).flat());
    await this.withChannel(async (channel) => {
      for (const exchange of exchanges) {
        const tap = this.tapOf(exchange);
        await channel.deleteQueue(tap.queue);
        await channel.deleteQueue(tap.deadLetterQueue);
        await channel.deleteExchange(tap.deadLetterQueue);
      }
    }).catch(() => undefined);
  }

  /** A connection per call: the node may have been killed or frozen since the last one. */
  private async withChannel<T>(fn: (channel: Channel) => Promise<T>): Promise<T> {
    const connection: ChannelModel = await connect(rabbitmqUrl(), { timeout: 5_000 });
    connection.on('error', () => undefined);
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined); // the rejected call says it
      return await fn(channel);
    } finally {
      await connection.close().catch(() => undefined);
    }
  }
}
