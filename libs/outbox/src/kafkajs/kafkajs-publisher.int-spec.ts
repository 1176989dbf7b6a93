import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers, pauseBroker, readTopic, resumeBroker } from '@shop/infra';
import { OutboxRecord, PublishResult } from '../publisher';
import { KafkaJsPublisher } from './kafkajs-publisher';

describe('KafkaJsPublisher (real Kafka)', () => {
  const kafka = new Kafka({ clientId: 'publisher-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
  const record = (topic: string, n: number): OutboxRecord => ({
    destination: topic,
    key: 'order-1',
    value: JSON.stringify({ n }),
    headers: { id: `event-${n}` },
  });

  it('publishes again after a send it gave up on while the broker was frozen was written when the broker woke', async () => {
    const topic = `publisher-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    // A short request timeout, so that kafkajs gives up on the frozen broker within seconds.
    const publisher = new KafkaJsPublisher({
      brokers: kafkaBrokers(),
      requestTimeout: 500,
      logLevel: logLevel.NOTHING,
    });
    try {
      expect(await publisher.publish([record(topic, 1)])).toEqual([{ status: 'published' }]);

      // The request reaches the stopped broker's socket; the client times out and, as
      // kafkajs does, takes back the sequence numbers it had used.
      pauseBroker();
      let whileFrozen: readonly PublishResult[];
      try {
        whileFrozen = await publisher.publish([record(topic, 2)]);
      } finally {
        resumeBroker();
      }
      expect(whileFrozen.map((r) => r.status)).toEqual(['unavailable']);

      // The woken broker wrote event 2, so a batch that starts at the reused sequence number
      // and holds more records is out of order for it; the producer must start afresh.
      const after = await publisher.publish([record(topic, 2), record(topic, 3)]);
      expect(after).toEqual([{ status: 'published' }, { status: 'published' }]);

      const reader = await readTopic(topic);
      try {
        const ids = (await reader.waitFor(3)).map((m) => String(m.headers?.id));
        expect(new Set(ids)).toEqual(new Set(['event-1', 'event-2', 'event-3']));
        // Per key, the first copy of each event comes in the order sent; event 2 may repeat.
        expect(ids.filter((id, i) => ids.indexOf(id) === i)).toEqual(['event-1', 'event-2', 'event-3']);
      } finally {
        await reader.stop();
      }
    } finally {
      await publisher.close();
    }
  }, 90_000);
});
