import { Consumer, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { DashboardConfig } from './config';
import { Flows } from './flows';

/** A dead letter as the page lists it: where it came from and why, never its payload (personal data). */
export interface DeadLetter {
  id: string | null;
  type: string | null;
  consumer: string | null;
  reason: string | null;
  topic: string;
  where: string;
  at: string;
}

const text = (v: Buffer | string | (Buffer | string)[] | undefined) =>
  v === undefined ? null : (Array.isArray(v) ? v[0] : v).toString();

/**
 * The dashboard's own Kafka consumer (user and group `dashboard`, read-only): the order topic
 * gives each order's "on the topic" hop (from the newest offset), the dead-letter topics the
 * dead-letter list (from the oldest). After a crash it starts anew once the broker is back,
 * and goes on from the offsets it had reached.
 */
export class TopicWatch {
  readonly deadLetters: DeadLetter[] = [];
  private consumer?: Consumer;
  private stopped = false;
  /** The next offset to read per `topic:partition` of the event topics: a restart goes on from there. */
  private readonly next = new Map<string, string>();
  private joined?: () => void;
  /** Resolves once the group is joined (messages from then on are seen). */
  readonly ready = new Promise<void>((resolve) => (this.joined = resolve));

  constructor(
    private readonly config: DashboardConfig,
    private readonly flows: Flows,
  ) {}

  /** Starts reading, and keeps trying while the broker cannot be reached. */
  async keepRunning(): Promise<void> {
    try {
      await this.start();
    } catch {
      if (this.consumer) await this.restart(this.consumer);
    }
  }

  private async start(): Promise<void> {
    const kafka = new Kafka({
      clientId: 'dashboard',
      brokers: this.config.KAFKA_BROKERS.split(','),
      sasl: {
        mechanism: 'scram-sha-512',
        username: this.config.KAFKA_SASL_USERNAME,
        password: this.config.KAFKA_SASL_PASSWORD,
      },
      logLevel: logLevel.NOTHING,
      // Restarts are this class's (see restart): one place, and it keeps trying.
      retry: { retries: 3, restartOnFailure: async () => false },
    });
    const consumer = (this.consumer = kafka.consumer({ groupId: 'dashboard', sessionTimeout: 10_000 }));
    consumer.on(consumer.events.GROUP_JOIN, () => this.joined?.());
    consumer.on(consumer.events.CRASH, () => void this.restart(consumer));
    try {
      await consumer.connect();
      const topics = [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC];
      if (this.next.size === 0) await this.startAtTheEnd(kafka, topics);
      await consumer.subscribe({ topics, fromBeginning: false });
      // Dead letters are few and an operator wants them all: read from the start, every start.
      await consumer.subscribe({ topics: topics.map((t) => `${t}.dlt`), fromBeginning: true });
      // Nothing committed: positions live in this process (next), the dead letters are read whole.
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => this.take(topic, partition, message),
      });
      // Where the last consumer stopped, not the newest offset: nothing published while the
      // broker came back, or while this consumer rejoined, goes unseen.
      for (const [key, offset] of this.next) {
        const [topic, partition] = key.split(':');
        consumer.seek({ topic, partition: Number(partition), offset });
      }
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** The first start follows the orders placed from now on. */
  private async startAtTheEnd(kafka: Kafka, topics: string[]): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of topics)
        for (const { partition, high } of await admin.fetchTopicOffsets(topic))
          this.next.set(`${topic}:${partition}`, high);
    } finally {
      await admin.disconnect();
    }
  }

  /** After a crash (the broker gone for long, a drill): a new consumer every few seconds until one runs. */
  private async restart(crashed: Consumer): Promise<void> {
    await crashed.disconnect().catch(() => undefined);
    while (!this.stopped && this.consumer === crashed) {
      await new Promise((r) => setTimeout(r, 3000));
      if (this.stopped) return;
      try {
        await this.start();
        return;
      } catch {
        this.consumer = crashed; // the broker is still away: try again
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => undefined);
  }

  private take(topic: string, partition: number, m: KafkaMessage): void {
    const at = new Date(Number(m.timestamp));
    const where = `${topic} partition ${partition} offset ${m.offset}`;
    const h = m.headers ?? {};
    if (topic.endsWith('.dlt')) {
      if (this.deadLetters.some((d) => d.where === where)) return; // read again after a restart
      this.deadLetters.unshift({
        id: text(h.id),
        type: text(h.type),
        consumer: text(h['dlt-consumer']),
        reason: text(h['dlt-error'])?.slice(0, 200) ?? null,
        topic,
        where,
        at: at.toISOString(),
      });
      this.deadLetters.splice(50);
      return;
    }
    this.next.set(`${topic}:${partition}`, (BigInt(m.offset) + 1n).toString());
    if (topic === ORDER_EVENTS_TOPIC && m.key) {
      const type = text(h.type) ?? 'event';
      this.flows.onTopic(m.key.toString(), { type, at, where, traceparent: text(h.traceparent) ?? undefined });
    }
  }
}
