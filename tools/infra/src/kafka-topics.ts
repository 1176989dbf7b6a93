import { Kafka, KafkaJSSASLAuthenticationError, logLevel } from 'kafkajs';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { applyAclPolicy } from './kafka-acls';
import { checkKafkaPasswords, setKafkaPassword } from './native-kafka';
import { InfraError } from './process-utils';
import { KafkaUser, kafkaClient, settings } from './settings';

/**
 * The topics the services subscribe to and their dead-letter topics (named as the inbox's
 * `deadLetterTopicFor` names them), created up front with three partitions: the services may
 * not create topics, and auto-creation races when several consumers subscribe at once.
 */
const subscribed = [...new Set(Object.values(SUBSCRIPTIONS).flat())];
export const projectTopics = [...subscribed, ...subscribed.map((t) => `${t}.dlt`)];

/** Three partitions; on the cluster each on all three nodes, a write acknowledged by two. */
export const topicSpec = (topic: string) => ({
  topic,
  numPartitions: 3,
  ...(settings.kafka.brokers > 1
    ? { replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }
    : {}),
});

/**
 * Every user logs in with its configured password; one that cannot gets it set (a variable
 * changed after the broker was formatted). `admin` cannot be repaired that way.
 */
async function ensureUsers(mode: 'native' | 'docker'): Promise<string[]> {
  checkKafkaPasswords();
  const changed: string[] = [];
  for (const [user, password] of Object.entries(settings.kafka.users) as [KafkaUser, string][]) {
    if (await logsIn(user)) continue;
    if (user === 'admin' || mode === 'docker')
      throw new InfraError(
        `Kafka refused ${user}'s password: it differs from the one the broker was formatted with. ` +
          `Set it back, or remove the broker's data to start over (native: .infra/kafka/data; Compose: docker compose down -v).`,
      );
    setKafkaPassword(user, password);
    changed.push(user);
  }
  return changed;
}

async function logsIn(user: KafkaUser): Promise<boolean> {
  const admin = new Kafka({ clientId: 'infra-users', ...kafkaClient(user), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    return true;
  } catch (err) {
    if (err instanceof KafkaJSSASLAuthenticationError) return false;
    throw err;
  } finally {
    await admin.disconnect();
  }
}

/** Users, topics and ACLs; each step is a no-op when already in place. Returns what it changed. */
export async function ensureKafka(
  mode: 'native' | 'docker',
): Promise<{ topics: string[]; passwords: string[]; aclsRemoved: number }> {
  const passwords = await ensureUsers(mode);
  const admin = new Kafka({ clientId: 'infra-topics', ...kafkaClient(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = projectTopics.filter((t) => !existing.has(t));
    if (topics.length > 0) {
      await admin.createTopics({ topics: topics.map(topicSpec), waitForLeaders: true });
    }
    const aclsRemoved = await applyAclPolicy(admin);
    return { topics, passwords, aclsRemoved };
  } finally {
    await admin.disconnect();
  }
}
