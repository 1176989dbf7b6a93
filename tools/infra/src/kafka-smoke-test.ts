import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClient } from './settings';

/**
 * Proves this broker speaks kafkajs' protocol versions end to end:
 * create a topic, produce with acks=all, consume in a group, commit an offset.
 */
export async function kafkaSmokeTest(): Promise<number> {
  const t0 = Date.now();
  const kafka = new Kafka({ clientId: 'infra-smoke', ...kafkaClient(), logLevel: logLevel.NOTHING });
  const topic = `infra-smoke-${randomUUID()}`;
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    const value = randomUUID();
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('kafka smoke test: message not consumed within 30s')), 30_000);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          if (message.value?.toString() !== value) return;
          await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
          clearTimeout(timer);
          resolve();
        },
      });
    });
    const committed = await admin.fetchOffsets({ groupId: `${topic}-group`, topics: [topic] });
    if (committed[0]?.partitions[0]?.offset !== '1') throw new Error('kafka smoke test: offset commit not visible');
    await admin.deleteTopics({ topics: [topic] });
    await admin.deleteGroups([`${topic}-group`]).catch(() => undefined);
    return Date.now() - t0;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
  }
}
