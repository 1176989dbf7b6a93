import { Admin } from 'kafkajs';

/**
 * Per topic: messages past the group's committed offsets. A partition the group never
 * committed counts from its low watermark (what `fromBeginning` would read).
 */
export async function readLag(admin: Admin, groupId: string, topics: string[]): Promise<Map<string, number>> {
  const lags = new Map<string, number>();
  for (const topic of topics) {
    let lag = 0;
    const [latest, [committed]] = await Promise.all([
      admin.fetchTopicOffsets(topic),
      admin.fetchOffsets({ groupId, topics: [topic] }),
    ]);
    for (const p of latest) {
      const done = committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? '-1';
      lag += Number(p.high) - (done === '-1' ? Number(p.low) : Number(done));
    }
    lags.set(topic, lag);
  }
  return lags;
}
