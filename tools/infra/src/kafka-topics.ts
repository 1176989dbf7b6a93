import { Kafka, logLevel } from 'kafkajs';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { kafkaBrokers } from './settings';

/**
 * The topics the services subscribe to, created up front with three partitions rather than
 * left to auto-creation, which races when several consumers subscribe to a topic at once.
 * Dead-letter topics (named by the inbox's `deadLetterTopicFor`) nobody subscribes to: the
 * broker creates them on their first record (auto.create.topics.enable, three partitions),
 * and the test readers create the ones they wait on.
 */
export const projectTopics = [...new Set(Object.values(SUBSCRIPTIONS).flat())];

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
