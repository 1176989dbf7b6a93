import { Kafka, logLevel } from 'kafkajs';
import { kafkaClient } from './settings';

/** One partition as the controller sees it: its leader's node id, replicas and in-sync replicas. */
export interface PartitionState {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

/** The partitions of a topic, by number, read through the admin client (fresh metadata each call). */
export async function partitionStates(topic: string): Promise<PartitionState[]> {
  const admin = new Kafka({ clientId: 'infra-cluster', ...kafkaClient(), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions
      .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** The node id that leads one partition of a topic. */
export async function partitionLeader(topic: string, partition: number): Promise<number> {
  const state = (await partitionStates(topic)).find((p) => p.partition === partition);
  if (!state) throw new Error(`${topic} has no partition ${partition}`);
  return state.leader;
}
