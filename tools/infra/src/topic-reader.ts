import { randomUUID } from 'node:crypto';
import { Admin, Kafka, KafkaMessage, logLevel } from 'kafkajs';
import { kafkaClient } from './settings';
import { waitFor } from './process-utils';

export type ReadMessage = KafkaMessage & { partition: number };

/**
 * Reads a topic from offset 0 in a throw-away consumer group and keeps every message,
 * duplicates included, for tests that check what reached the broker. Creates the topic
 * (three partitions) if it is not there yet, since subscribing to a missing one fails.
 */
export async function readTopic(topic: string) {
  const kafka = new Kafka({ clientId: 'topic-reader', ...kafkaClient(), logLevel: logLevel.NOTHING });
  await createIfMissing(kafka, topic);
  // A short fetch wait lets disconnect() return promptly.
  const consumer = kafka.consumer({ groupId: `topic-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => void messages.push({ ...message, partition }) });
  return {
    messages,
    /** Waits until at least `count` messages match (all messages without a predicate). */
    async waitFor(count: number, match: (m: ReadMessage) => boolean = () => true, timeoutMs = 30_000) {
      await waitFor(`${count} messages on ${topic}`, async () => messages.filter(match).length >= count, timeoutMs);
      return messages.filter(match);
    },
    stop: () => consumer.disconnect(),
  };
}

/** Creates the topic with three partitions, as the broker would on a first record; a no-op if it exists. */
async function createIfMissing(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Every message on a topic, from offset 0 to its current end, duplicates included. */
export async function readWholeTopic(topic: string, timeoutMs = 60_000): Promise<ReadMessage[]> {
  const kafka = new Kafka({ clientId: 'topic-reader', ...kafkaClient(), logLevel: logLevel.NOTHING });
  await createIfMissing(kafka, topic); // a dead-letter topic exists only once something was dead-lettered
  const admin = kafka.admin();
  await admin.connect();
  const end = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  await admin.disconnect();
  const reader = await readTopic(topic);
  try {
    return await reader.waitFor(end, () => true, timeoutMs);
  } finally {
    await reader.stop();
  }
}

/** Messages the consumer groups have not committed yet, summed over their topics. */
export async function consumerLag(admin: Admin, groups: Record<string, readonly string[]>): Promise<number> {
  let lag = 0;
  for (const [groupId, topics] of Object.entries(groups)) {
    for (const topic of topics) {
      const [latest, [committed]] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      for (const p of latest) {
        const done = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1');
        lag += Math.max(0, Number(p.high) - Math.max(done, Number(p.low)));
      }
    }
  }
  return lag;
}
