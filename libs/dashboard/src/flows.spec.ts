import { Flows } from './flows';
import { Upstream } from './upstream';

const orderId = '11111111-1111-4111-8111-111111111111';
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

/** The services' answers for one order, as the operator API gives them. */
const answers: Record<string, unknown> = {
  [`/outbox/rows?aggregateId=${orderId}`]: [
    {
      type: 'order.placed.v1',
      createdAt: '2026-01-01T00:00:00.000Z',
      claimedAt: '2026-01-01T00:00:00.020Z',
      publishedAt: '2026-01-01T00:00:00.050Z',
    },
  ],
  [`/orders/${orderId}`]: { status: 'SHIPPED' },
  [`/shipments?orderId=${orderId}`]: [
    {
      id: 's1',
      status: 'DISPATCHED',
      trackingNumber: 'DHL-1',
      createdAt: '2026-01-01T00:00:00.100Z',
      dispatchedAt: '2026-01-01T00:00:01.000Z',
    },
  ],
  [`/emails?orderId=${orderId}`]: [
    { kind: 'order-confirmation', status: 'SENT', sentAt: '2026-01-01T00:00:00.300Z' },
    { kind: 'shipped-notice', status: 'SENT', sentAt: '2026-01-01T00:00:01.200Z' },
  ],
};
const upstream = { get: async (_service: string, path: string) => answers[path] } as unknown as Upstream;

describe('Flows', () => {
  it("gives an order every hop from the services' answers", async () => {
    const flows = new Flows(upstream, { topicHops: false });
    flows.track(orderId);
    await flows.refresh();
    const [flow] = flows.list();
    expect(flow.status).toBe('SHIPPED');
    expect(Object.fromEntries(Object.entries(flow.hops).map(([hop, h]) => [hop, h?.at]))).toEqual({
      committed: '2026-01-01T00:00:00.000Z',
      claimed: '2026-01-01T00:00:00.020Z',
      onTopic: '2026-01-01T00:00:00.050Z', // without a topic to read: the broker's acknowledgement
      scheduled: '2026-01-01T00:00:00.100Z',
      emailed: '2026-01-01T00:00:00.300Z',
      dispatched: '2026-01-01T00:00:01.000Z',
      shippedNotice: '2026-01-01T00:00:01.200Z',
    });
  });

  it('stops asking for the outbox row once it was published (the lookup has no index)', async () => {
    const asked: string[] = [];
    const counting = {
      get: async (_s: string, path: string) => {
        asked.push(path.split('?')[0]);
        return answers[path];
      },
    } as unknown as Upstream;
    const flows = new Flows(counting, { topicHops: false });
    flows.track(orderId);
    await flows.refresh();
    await flows.refresh();
    expect(asked.filter((p) => p === '/outbox/rows')).toHaveLength(1);
    expect(flows.list()[0].hops.claimed?.at).toBe('2026-01-01T00:00:00.020Z');
  });

  it('follows a cancelled order until its cancellation notice, the emails sent after the cancel included', async () => {
    const cancelledId = '22222222-2222-4222-8222-222222222222';
    const later: Record<string, unknown> = {
      [`/outbox/rows?aggregateId=${cancelledId}`]: [],
      [`/orders/${cancelledId}`]: { status: 'CANCELLED' },
      [`/shipments?orderId=${cancelledId}`]: [
        {
          id: 's2',
          status: 'CANCELLED',
          trackingNumber: null,
          createdAt: '2026-01-01T00:00:00.100Z',
          dispatchedAt: null,
          cancelledAt: '2026-01-01T00:00:00.400Z',
        },
      ],
      [`/emails?orderId=${cancelledId}`]: [],
    };
    const flows = new Flows({ get: async (_s: string, path: string) => later[path] } as unknown as Upstream, {
      topicHops: true,
    });
    flows.track(cancelledId);
    await flows.refresh();
    expect(flows.list()[0].status).toBe('CANCELLED');
    // The emails go out after the cancel: the next refresh still asks.
    later[`/emails?orderId=${cancelledId}`] = [
      { kind: 'order-confirmation', status: 'SENT', sentAt: '2026-01-01T00:00:00.900Z' },
      { kind: 'cancellation-notice', status: 'SENT', sentAt: '2026-01-01T00:00:01.000Z' },
    ];
    await flows.refresh();
    const { hops } = flows.list()[0];
    expect([hops.cancelled?.at, hops.emailed?.at, hops.cancellationNotice?.at]).toEqual([
      '2026-01-01T00:00:00.400Z',
      '2026-01-01T00:00:00.900Z',
      '2026-01-01T00:00:01.000Z',
    ]);
  });

  it('links an order to its trace only when the trace viewer is known', () => {
    const message = {
      type: 'order.placed.v1',
      at: new Date(0),
      where: 'outbox.event.order partition 0 offset 7',
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    };
    const withViewer = new Flows(upstream, { topicHops: true, zipkinUiUrl: 'http://127.0.0.1:9411' });
    withViewer.onTopic(orderId, message);
    expect(withViewer.list()[0].traceUrl).toBe(`http://127.0.0.1:9411/zipkin/traces/${traceId}`);
    expect(withViewer.list()[0].hops.onTopic?.detail).toBe(
      'order.placed.v1 on outbox.event.order partition 0 offset 7',
    );
    const without = new Flows(upstream, { topicHops: true });
    without.onTopic(orderId, message);
    expect(without.list()[0].traceUrl).toBeNull();
  });

  it('keeps the newest orders first, and at most its capacity', () => {
    const flows = new Flows(upstream, { topicHops: true, capacity: 2 });
    for (const id of ['a', 'b', 'c']) flows.track(id);
    expect(flows.list().map((f) => f.orderId)).toEqual(['c', 'b']);
  });
});
