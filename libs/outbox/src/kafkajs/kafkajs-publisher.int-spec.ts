import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClient, pauseBroker, readTopic, resumeBroker } from '@shop/infra';
import { OutboxRecord, PublishResult } from '../publisher';
import { KafkaJsPublisher } from './kafkajs-publisher';

/**
 * A send the client gives up on while the broker is frozen (SIGSTOP) reaches the broker's
 * socket and is written when it wakes; kafkajs has taken its sequence numbers back by then.
 */
describe('KafkaJsPublisher (real Kafka, a frozen broker)', () => {
  const kafka = new Kafka({ clientId: 'publisher-test', ...kafkaClient(), logLevel: logLevel.NOTHING });
  const record = (topic: string, n: number): OutboxRecord => ({
    destination: topic,
    key: 'order-1',
    value: JSON.stringify({ n }),
    headers: { id: `event-${n}` },
  });

  /** Publishes event 1, then event 2 while the broker is frozen; returns the publisher and topic. */
  async function afterAFrozenSend() {
    const topic = `publisher-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    // A short request timeout, so that kafkajs gives up on the frozen broker within seconds.
    const publisher = new KafkaJsPublisher({
      ...kafkaClient(),
      requestTimeout: 500,
      logLevel: logLevel.NOTHING,
    });
    expect(await publisher.publish([record(topic, 1)])).toEqual([{ status: 'published' }]);
    pauseBroker();
    let whileFrozen: readonly PublishResult[];
    try {
      whileFrozen = await publisher.publish([record(topic, 2)]);
    } finally {
      resumeBroker();
    }
    expect(whileFrozen.map((r) => r.status)).toEqual(['unavailable']);
    return { publisher, topic };
  }

  /** Event ids on the topic, first copies only, once `count` distinct ones are there. */
  async function firstCopies(topic: string, count: number): Promise<string[]> {
    const reader = await readTopic(topic);
    try {
      await reader.waitFor(count, () => true, 30_000);
      const ids = reader.messages.map((m) => String(m.headers?.id));
      return ids.filter((id, i) => ids.indexOf(id) === i);
    } finally {
      await reader.stop();
    }
  }

  it('publishes a larger batch after the frozen send was written (kafkajs alone: out of order, for ever)', async () => {
    const { publisher, topic } = await afterAFrozenSend();
    try {
      const after = await publisher.publish([record(topic, 2), record(topic, 3)]);
      expect(after).toEqual([{ status: 'published' }, { status: 'published' }]);
      expect(await firstCopies(topic, 3)).toEqual(['event-1', 'event-2', 'event-3']); // event 2 may repeat
    } finally {
      await publisher.close();
    }
  }, 90_000);

  it('stores a different record of the same size sent next (kafkajs alone: taken as a copy and dropped)', async () => {
    const { publisher, topic } = await afterAFrozenSend();
    try {
      expect(await publisher.publish([record(topic, 3)])).toEqual([{ status: 'published' }]);
      expect(await firstCopies(topic, 3)).toEqual(['event-1', 'event-2', 'event-3']);
    } finally {
      await publisher.close();
    }
  }, 90_000);
});
