import { parseMetrics, sum } from './metrics-text';

const text = `# HELP inbox_consumer_lag Messages behind
# TYPE inbox_consumer_lag gauge
inbox_consumer_lag{consumer="email-service",topic="outbox.event.order"} 3
inbox_consumer_lag{consumer="email-service",topic="outbox.event.shipment"} 2
inbox_consumer_lag{consumer="shipping-service",topic="outbox.event.order"} 0
outbox_pending_rows 12
outbox_oldest_pending_age_seconds 1.5e0
odd_label{msg="a \\"quoted\\" one"} 1
not a sample
`;

describe('parseMetrics', () => {
  const samples = parseMetrics(text);

  it('reads names, labels and values, skipping comments and malformed lines', () => {
    expect(samples).toHaveLength(6);
    expect(samples[0]).toEqual({
      name: 'inbox_consumer_lag',
      labels: { consumer: 'email-service', topic: 'outbox.event.order' },
      value: 3,
    });
    expect(samples[5].labels.msg).toBe('a "quoted" one');
  });

  it('sums a metric, by labels when given', () => {
    expect(sum(samples, 'inbox_consumer_lag', { consumer: 'email-service' })).toBe(5);
    expect(sum(samples, 'outbox_oldest_pending_age_seconds')).toBe(1.5);
    expect(sum(samples, 'absent')).toBe(0);
  });
});
