import { Registry } from 'prom-client';
import { InboxMetrics } from './inbox-metrics';

describe('InboxMetrics', () => {
  const labels = { consumer: 'shipping-service', topic: 'outbox.event.order' };
  const sample = (text: string, name: string) =>
    Number(
      new RegExp(`^${name}\\{consumer="shipping-service",topic="outbox.event.order"\\} (\\S+)$`, 'm').exec(text)?.[1],
    );

  it('counts under the names and labels the alert rules use, one set per registry', async () => {
    const registry = new Registry();
    const metrics = InboxMetrics.for(registry);
    expect(InboxMetrics.for(registry)).toBe(metrics);
    metrics.handled(labels);
    metrics.handled(labels);
    metrics.duplicate(labels);
    metrics.deadLettered(labels);
    metrics.retried(labels);
    metrics.handlerDuration(labels, 0.004);
    const text = await registry.metrics();
    expect({
      handled: sample(text, 'inbox_handled_total'),
      duplicates: sample(text, 'inbox_duplicates_skipped_total'),
      deadLettered: sample(text, 'inbox_dead_lettered_total'),
      retries: sample(text, 'inbox_retries_total'),
      handlerCalls: sample(text, 'inbox_handler_duration_seconds_count'),
    }).toEqual({ handled: 2, duplicates: 1, deadLettered: 1, retries: 1, handlerCalls: 1 });
  });

  it('reads lag at scrape time from the sources watched, and forgets one unwatched', async () => {
    const registry = new Registry();
    const metrics = InboxMetrics.for(registry);
    const unwatch = metrics.watchLag({
      consumer: 'shipping-service',
      lagByTopic: async () => new Map([['outbox.event.order', 7]]),
    });
    metrics.watchLag({ consumer: 'broken', lagByTopic: () => Promise.reject(new Error('broker gone')) });
    expect(sample(await registry.metrics(), 'inbox_consumer_lag')).toBe(7);
    unwatch();
    expect(await registry.metrics()).not.toMatch(/^inbox_consumer_lag\{/m);
  });

  it('registers anew after registry.clear()', () => {
    const registry = new Registry();
    const first = InboxMetrics.for(registry);
    registry.clear();
    expect(InboxMetrics.for(registry)).not.toBe(first);
    expect(registry.getSingleMetric('inbox_handled_total')).toBeDefined();
  });
});
