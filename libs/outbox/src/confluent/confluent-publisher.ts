import { errorMessage } from '../logger';
import { OutboxPublisher, OutboxRecord, PUBLISHED, PublishResult } from '../publisher';
import { publishOneByOne, unavailable } from '../kafka/one-by-one';
import { isProducerStateError, isRecordError } from '../kafka/record-errors';
import { ConfluentClientConfig, ConfluentKafka, ConfluentProducer, loadConfluentKafka } from './confluent-client';

/**
 * The relay's producer settings for librdkafka: idempotent with acks=all, so its own retries
 * neither duplicate nor reorder (librdkafka keeps order with up to 5 requests in flight).
 * A delivery gives up after 10 s, so that the relay, not the client, decides when to back
 * off; a record re-sent after that may duplicate (consumers dedupe).
 */
export const confluentProducerConfig: Readonly<ConfluentClientConfig> = {
  kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: true, retry: { retries: 5 } },
  'message.timeout.ms': 10_000,
};

const isKafka = (client: ConfluentKafka | ConfluentClientConfig): client is ConfluentKafka =>
  typeof (client as ConfluentKafka).producer === 'function';

/**
 * The relay's publisher for Kafka through `@confluentinc/kafka-javascript` (librdkafka):
 * every record is produced at once (librdkafka batches them per partition) and answered by
 * its own delivery report. Takes the application's `KafkaJS.Kafka` client or its config
 * (logging at WARN unless it says otherwise); either way it makes a producer of its own with
 * `confluentProducerConfig`, and `close` disconnects only that.
 */
export class ConfluentKafkaPublisher implements OutboxPublisher {
  private readonly client: ConfluentKafka;
  private producer: ConfluentProducer;
  private connected: Promise<void> | undefined;

  constructor(kafka: ConfluentKafka | ConfluentClientConfig) {
    if (isKafka(kafka)) this.client = kafka;
    else {
      const { Kafka, logLevel } = loadConfluentKafka().KafkaJS;
      this.client = new Kafka({ ...kafka, kafkaJS: { logLevel: logLevel.WARN, ...kafka.kafkaJS } });
    }
    this.producer = this.client.producer(confluentProducerConfig);
  }

  async publish(records: readonly OutboxRecord[]): Promise<readonly PublishResult[]> {
    try {
      await this.connect();
    } catch (err) {
      await this.replaceProducer();
      return records.map(() => unavailable(err));
    }
    const outcomes = await Promise.allSettled(records.map((r) => this.send(r)));
    const errors = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as unknown) : undefined));
    if (errors.some((e) => e !== undefined && isProducerStateError(e))) await this.replaceProducer();
    // Several records refused at once: the broker refuses a partition's whole batch, so find the one at fault.
    const refused = records.filter((_, i) => errors[i] !== undefined && isRecordError(errors[i]));
    const retried = refused.length > 1 ? await publishOneByOne(refused, (r) => this.send(r)) : [];
    return records.map((record, i): PublishResult => {
      const err = errors[i];
      if (err === undefined) return PUBLISHED;
      if (!isRecordError(err)) return unavailable(err);
      return refused.length > 1 ? retried[refused.indexOf(record)] : { status: 'refused', error: errorMessage(err) };
    });
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = undefined;
  }

  private connect(): Promise<void> {
    return (this.connected ??= this.producer.connect());
  }

  private async send(record: OutboxRecord): Promise<void> {
    await this.connect(); // at once when connected: the records are produced in the order given
    const message = { key: record.key, value: record.value, headers: { ...record.headers } };
    await this.producer.send({ topic: record.destination, messages: [message] });
  }

  /** The broker no longer agrees with the producer's state, or it never connected: start afresh. */
  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.client.producer(confluentProducerConfig);
    if (this.connected) await old.disconnect().catch(() => undefined);
    this.connected = undefined;
  }
}
