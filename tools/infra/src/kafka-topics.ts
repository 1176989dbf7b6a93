import { Kafka, logLevel } from 'kafkajs';
import { deadLetterTopicFor, ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { kafkaBrokers } from './settings';

/**
 * The project's topics, created up front with three partitions rather than left to
 * auto-creation, which races when several consumers subscribe to a topic at once.
 */
export const projectTopics = [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC].flatMap((t) => [t, deadLetterTopicFor(t)]);

export async function ensureTopics(): Promise<string[]> {
  const admin = new Kafka({ clientId: 'infra-topics', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = projectTopics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
