import { Kafka, Partitioners, Producer } from 'kafkajs';
import { DeadLetterRecord, DeadLetterSink } from '../ports';

/** The dead-letter port on kafkajs: an idempotent producer, each record acknowledged by all in-sync replicas. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  private producer?: Producer;

  constructor(private readonly kafka: Kafka) {}

  async send(topic: string, record: DeadLetterRecord): Promise<void> {
    const producer = (this.producer ??= this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    }));
    try {
      // connect() resolves at once when connected, and reconnects after the broker was lost.
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ ...record }] });
    } catch (err) {
      // A failed send may still be written (a frozen broker wakes up), and kafkajs would reuse
      // its sequence number: the broker would take the next, different record for a copy of
      // it and drop it. A new producer id starts afresh.
      if (this.producer === producer) this.producer = undefined;
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
