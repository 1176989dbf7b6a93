import { Kafka, Partitioners, Producer } from 'kafkajs';
import { DeadLetterRecord, DeadLetterSink } from '../ports';

/** The dead-letter port on kafkajs: an idempotent producer, each record acknowledged by all in-sync replicas. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  private producer?: Producer;

  constructor(private readonly kafka: Kafka) {}

  async send(topic: string, record: DeadLetterRecord): Promise<void> {
    this.producer ??= this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    // connect() resolves at once when connected, and reconnects after the broker was lost.
    await this.producer.connect();
    await this.producer.send({ topic, acks: -1, messages: [{ ...record }] });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
