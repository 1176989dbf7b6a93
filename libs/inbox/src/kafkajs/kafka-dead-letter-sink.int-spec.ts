import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClient, pauseBroker, readTopic, resumeBroker } from '@shop/infra';
import { KafkaDeadLetterSink } from './kafka-dead-letter-sink';

describe('KafkaDeadLetterSink (real Kafka)', () => {
  const record = (n: number) => ({ key: Buffer.from('k'), value: Buffer.from(`poison-${n}`), headers: { n: `${n}` } });

  it('keeps the next dead letter after a send that failed on a frozen broker was written when it woke', async () => {
    const topic = `dlt-${randomUUID()}`;
    const admin = new Kafka({ ...kafkaClient(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    // A short request timeout and few retries, so that the send gives up within seconds.
    const kafka = new Kafka({
      ...kafkaClient(),
      requestTimeout: 500,
      retry: { retries: 2 },
      logLevel: logLevel.NOTHING,
    });
    const sink = new KafkaDeadLetterSink(kafka);
    try {
      await sink.send(topic, record(1));
      pauseBroker();
      try {
        await expect(sink.send(topic, record(2))).rejects.toThrow();
      } finally {
        resumeBroker();
      }
      // A different record, as when the consumer dead-letters another message next.
      await sink.send(topic, record(3));

      const reader = await readTopic(topic);
      try {
        await reader.waitFor(3, () => true, 30_000);
        const values = reader.messages.map((m) => String(m.value));
        expect(new Set(values)).toEqual(new Set(['poison-1', 'poison-2', 'poison-3']));
      } finally {
        await reader.stop();
      }
    } finally {
      await sink.close();
    }
  }, 90_000);
});
