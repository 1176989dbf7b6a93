import {
  ICustomPartitioner,
  IHeaders,
  Kafka,
  KafkaConfig,
  logLevel,
  Message,
  Partitioners,
  Producer,
  ProducerConfig,
  RecordMetadata,
} from 'kafkajs';
import { errorMessage } from '../logger';
import { OutboxPublisher, OutboxRecord, PUBLISHED, PublishResult } from '../publisher';
import { publishOneByOne, unavailable } from '../kafka/one-by-one';
import { isProducerStateError, isRecordError } from '../kafka/record-errors';

/**
 * Idempotent, one request in flight: the producer's own retries neither duplicate nor
 * reorder, so records of one key (one partition) arrive in the order sent. Its retries are
 * bounded so that the relay, not the client, decides when to back off; a batch re-sent
 * after that may duplicate (consumers dedupe).
 */
export const outboxProducerConfig: Readonly<ProducerConfig> = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: true,
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { retries: 5, maxRetryTime: 10_000 },
};

/**
 * kafkajs 2.2.4 skips, when it retries a batch, every broker that already answered it: the
 * records of a partition whose leader moved to such a broker are never sent, yet sendBatch
 * resolves (tulios/kafkajs#1798). So the partitioner notes where each message went, and a
 * record whose partition is missing from the answer stays unpublished.
 */
const notingPartitioner =
  (placed: WeakMap<Message, number>): ICustomPartitioner =>
  () => {
    const choose = Partitioners.DefaultPartitioner();
    return (args) => {
      const partition = choose(args);
      placed.set(args.message, partition);
      return partition;
    };
  };

export const UNSENT = "not sent: its partition is missing from kafkajs' answer to the batch";

const isKafka = (client: Kafka | KafkaConfig): client is Kafka => typeof (client as Kafka).producer === 'function';

/**
 * The relay's publisher for Kafka through kafkajs: one `sendBatch` per batch with
 * acks=all, topic = destination, message key = key. Takes the application's `Kafka` client
 * or a KafkaConfig (logging at WARN unless it says otherwise); either way it makes a
 * producer of its own with `outboxProducerConfig` (its partitioner noting each message's
 * partition), and `close` disconnects only that.
 */
export class KafkaJsPublisher implements OutboxPublisher {
  private readonly client: Kafka;
  private producer: Producer;
  private readonly placed = new WeakMap<Message, number>();
  private readonly config: ProducerConfig;

  constructor(kafka: Kafka | KafkaConfig) {
    this.client = isKafka(kafka) ? kafka : new Kafka({ logLevel: logLevel.WARN, ...kafka });
    this.config = { ...outboxProducerConfig, createPartitioner: notingPartitioner(this.placed) };
    this.producer = this.client.producer(this.config);
  }

  async publish(records: readonly OutboxRecord[]): Promise<readonly PublishResult[]> {
    try {
      const sent = await this.send(records);
      return sent.map((ok) => (ok ? PUBLISHED : { status: 'unavailable', error: UNSENT }));
    } catch (err) {
      if (!isRecordError(err)) return records.map(() => unavailable(err));
      if (records.length === 1) return [{ status: 'refused', error: errorMessage(err) }];
      return publishOneByOne(records, async (record) => {
        if (!(await this.send([record]))[0]) throw new Error(UNSENT);
      });
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  /** Per record: whether the broker acknowledged its partition (see notingPartitioner). */
  private async send(records: readonly OutboxRecord[]): Promise<boolean[]> {
    const byTopic = new Map<string, Message[]>();
    const messages = records.map((r) => {
      const message: Message = { key: r.key, value: r.value, headers: r.headers as IHeaders };
      const list = byTopic.get(r.destination);
      if (list) list.push(message);
      else byTopic.set(r.destination, [message]);
      return message;
    });
    const batch = { acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) };
    let answer: RecordMetadata[];
    try {
      await this.producer.connect();
      answer = await this.producer.sendBatch(batch);
    } catch (err) {
      if (isRecordError(err)) throw err; // refused: nothing was written
      // The outcome is unknown: a frozen broker may still write the batch when it wakes, and
      // kafkajs would reuse its sequence numbers, so the broker could drop the next batch as
      // a copy of it (or refuse every batch as out of order). A new producer id starts afresh.
      await this.producer.disconnect().catch(() => undefined);
      this.producer = this.client.producer(this.config);
      if (!isProducerStateError(err)) throw err;
      await this.producer.connect();
      answer = await this.producer.sendBatch(batch);
    }
    const acked = new Set(answer.filter((m) => m.errorCode === 0).map((m) => `${m.topicName}\u0000${m.partition}`));
    return records.map((r, i) => {
      const partition = this.placed.get(messages[i]);
      return partition !== undefined && acked.has(`${r.destination}\u0000${partition}`);
    });
  }
}
