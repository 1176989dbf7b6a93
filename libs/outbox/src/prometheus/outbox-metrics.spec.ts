import { Registry } from 'prom-client';
import { OutboxMetrics } from './outbox-metrics';

describe('OutboxMetrics: the leader gauges', () => {
  const stats = async () => ({ pending: 0, parked: 0, oldestPendingAgeSeconds: 0 });
  const values = async (registry: Registry, name: string) =>
    (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values.map((v) => [v.labels, v.value]);

  it('counts the shards led in outbox_relay_leader and tells which in outbox_relay_shard_leader', async () => {
    const registry = new Registry();
    const metrics = new OutboxMetrics(registry, { stats });
    metrics.shards(4);
    expect(await values(registry, 'outbox_relay_shards')).toEqual([[{}, 4]]);
    expect(await values(registry, 'outbox_relay_leader')).toEqual([[{}, 0]]);

    metrics.leader(true, { index: 1, count: 4 });
    metrics.leader(true, { index: 3, count: 4 });
    metrics.leader(true, { index: 3, count: 4 }); // told twice, counted once
    metrics.leader(false, { index: 1, count: 4 });
    expect(await values(registry, 'outbox_relay_leader')).toEqual([[{}, 1]]);
    expect(await values(registry, 'outbox_relay_shard_leader')).toEqual([
      [{ shard: '0' }, 0],
      [{ shard: '1' }, 0],
      [{ shard: '2' }, 0],
      [{ shard: '3' }, 1],
    ]);
  });

  it('reads 1 while a relay without shards leads, as before shards existed', async () => {
    const registry = new Registry();
    const metrics = new OutboxMetrics(registry, { stats });
    metrics.shards(1);
    metrics.leader(true, { index: 0, count: 1 });
    expect(await values(registry, 'outbox_relay_leader')).toEqual([[{}, 1]]);
  });
});
