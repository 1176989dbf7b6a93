import { IHeaders, Kafka, KafkaConfig, logLevel, Message, Partitioners, Producer, ProducerConfig } from 'kafkajs';
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

const isKafka = (client: Kafka | KafkaConfig): client is Kafka => typeof (client as Kafka).producer === 'function';

/**
 * The relay's publisher for Kafka through kafkajs: one `sendBatch` per batch with
 * acks=all, topic = destination, message key = key. Takes the application's `Kafka` client
 * or a KafkaConfig (logging at WARN unless it says otherwise); either way it makes a
 * producer of its own with `outboxProducerConfig`, and `close` disconnects only that.
 */
export class KafkaJsPublisher implements OutboxPublisher {
  private readonly client: Kafka;
  private producer: Producer;

  constructor(kafka: Kafka | KafkaConfig) {
    this.client = isKafka(kafka) ? kafka : new Kafka({ logLevel: logLevel.WARN, ...kafka });
    this.producer = this.client.producer(outboxProducerConfig);
  }

  async publish(records: readonly OutboxRecord[]): Promise<readonly PublishResult[]> {
    try {
      await this.send(records);
      return records.map(() => PUBLISHED);
    } catch (err) {
      if (!isRecordError(err)) return records.map(() => unavailable(err));
      if (records.length === 1) return [{ status: 'refused', error: errorMessage(err) }];
      return publishOneByOne(records, (record) => this.send([record]));
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private async send(records: readonly OutboxRecord[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const r of records) {
      const messages = byTopic.get(r.destination);
      const message: Message = { key: r.key, value: r.value, headers: r.headers as IHeaders };
      if (messages) messages.push(message);
      else byTopic.set(r.destination, [message]);
    }
    const batch = { acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) };
    try {
      await this.producer.connect();
      await this.producer.sendBatch(batch);
    } catch (err) {
      if (isRecordError(err)) throw err; // refused: nothing was written
      // The outcome is unknown: a frozen broker may still write the batch when it wakes, and
      // kafkajs would reuse its sequence numbers, so the broker could drop the next batch as
      // a copy of it (or refuse every batch as out of order). A new producer id starts afresh.
      await this.producer.disconnect().catch(() => undefined);
      this.producer = this.client.producer(outboxProducerConfig);
      if (!isProducerStateError(err)) throw err;
      await this.producer.connect();
      await this.producer.sendBatch(batch);
    }
  }
}
