import { Upstream } from './upstream';

export const hopNames = [
  'committed',
  'claimed',
  'onTopic',
  'scheduled',
  'emailed',
  'dispatched',
  'shippedNotice',
  'cancelled',
  'cancellationNotice',
] as const;
export type HopName = (typeof hopNames)[number];
export interface Hop {
  at: string;
  detail?: string;
}
export interface Flow {
  orderId: string;
  status: string | null;
  /** The order's trace in Zipkin, from the traceparent header of its message. */
  traceUrl: string | null;
  hops: Partial<Record<HopName, Hop>>;
  shipmentId: string | null;
}

interface OutboxRow {
  type: string;
  createdAt: string;
  claimedAt: string | null;
  publishedAt: string | null;
}
interface Shipment {
  id: string;
  status: string;
  trackingNumber: string | null;
  createdAt: string;
  dispatchedAt: string | null;
  cancelledAt: string | null;
}
interface Email {
  kind: string;
  status: string;
  sentAt: string | null;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;
// Recent flows are polled every tick, older ones now and then: a burst stays cheap.
const FRESH_MS = 120_000;

/**
 * The orders the page follows (placed from it, or seen on the order topic), newest first, each
 * with the time of every hop it has reached. Bounded: the oldest go once `capacity` is reached.
 */
/** `rowsSettled`: the order's outbox row was published (or is gone): asking for it again tells nothing new. */
type Tracked = Flow & { seenAt: number; rowsSettled?: boolean };

export class Flows {
  private readonly flows = new Map<string, Tracked>();
  private tick = 0;

  constructor(
    private readonly upstream: Upstream,
    private readonly opts: { zipkinUiUrl?: string; topicHops: boolean; capacity?: number },
  ) {}

  track(orderId: string): Flow {
    let flow = this.flows.get(orderId);
    if (!flow) {
      flow = { orderId, status: null, traceUrl: null, hops: {}, shipmentId: null, seenAt: Date.now() };
      this.flows.set(orderId, flow);
      if (this.flows.size > (this.opts.capacity ?? 50)) this.flows.delete(this.flows.keys().next().value as string);
    }
    return flow;
  }

  /** The first event of an order on the topic (Kafka): where it landed, and its trace. */
  onTopic(orderId: string, m: { type: string; at: Date; where: string; traceparent?: string }): void {
    const flow = this.track(orderId);
    flow.hops.onTopic ??= { at: m.at.toISOString(), detail: `${m.type} on ${m.where}` };
    const traceId = m.traceparent ? TRACEPARENT.exec(m.traceparent)?.[1] : undefined;
    if (traceId && this.opts.zipkinUiUrl && !flow.traceUrl)
      flow.traceUrl = `${this.opts.zipkinUiUrl}/zipkin/traces/${traceId}`;
  }

  list(): Flow[] {
    return [...this.flows.values()].reverse().map(({ seenAt: _, rowsSettled: __, ...flow }) => flow);
  }

  /** Asks the services how far each unfinished flow got; a service that does not answer is asked again next tick. */
  async refresh(): Promise<void> {
    this.tick++;
    const now = Date.now();
    const due = [...this.flows.values()].filter(
      (f) => !f.hops.shippedNotice && !f.hops.cancellationNotice && (now - f.seenAt < FRESH_MS || this.tick % 10 === 0),
    );
    await Promise.all(due.map((f) => this.refreshOne(f).catch(() => undefined)));
  }

  private async refreshOne(flow: Tracked): Promise<void> {
    const id = encodeURIComponent(flow.orderId);
    const [rows, order, shipments, emails] = await Promise.all([
      // The table has no index for this lookup: asked only until the row's hops are known.
      flow.rowsSettled
        ? []
        : this.upstream.get<OutboxRow[]>('order-service', `/outbox/rows?aggregateId=${id}`).catch(() => null),
      this.upstream.get<{ status: string }>('order-service', `/orders/${id}`).catch(() => null),
      this.upstream.get<Shipment[]>('shipping-service', `/shipments?orderId=${id}`).catch(() => []),
      this.upstream.get<Email[]>('email-service', `/emails?orderId=${id}`).catch(() => []),
    ]);
    const placed = rows?.[0];
    const { hops } = flow;
    // Under Debezium the row is deleted as it is written: the topic hop is all there is.
    if (placed?.publishedAt || (rows?.length === 0 && hops.onTopic)) flow.rowsSettled = true;
    if (placed) {
      hops.committed ??= { at: placed.createdAt, detail: `order + ${placed.type} outbox row, one transaction` };
      if (placed.claimedAt) hops.claimed ??= { at: placed.claimedAt, detail: "by the leader's polling relay" };
      // Without a topic to read (RabbitMQ), the broker's acknowledgement is the hop.
      if (!this.opts.topicHops && placed.publishedAt)
        hops.onTopic ??= { at: placed.publishedAt, detail: `${placed.type} acknowledged by the broker` };
    }
    if (order) flow.status = order.status;
    const s = shipments[0];
    if (s) {
      flow.shipmentId = s.id;
      hops.scheduled ??= { at: s.createdAt, detail: 'shipping-service scheduled it' };
      if (s.dispatchedAt) hops.dispatched ??= { at: s.dispatchedAt, detail: `tracking ${s.trackingNumber}` };
      if (s.cancelledAt) hops.cancelled ??= { at: s.cancelledAt, detail: 'shipment cancelled, never to be dispatched' };
    }
    const sent = (kind: string) => emails.find((e) => e.kind === kind && e.sentAt)?.sentAt;
    const confirmation = sent('order-confirmation');
    if (confirmation) hops.emailed ??= { at: confirmation, detail: 'order confirmation sent over SMTP' };
    const notice = sent('shipped-notice');
    if (notice) hops.shippedNotice ??= { at: notice, detail: 'shipped notice sent over SMTP' };
    const cancellation = sent('cancellation-notice');
    if (cancellation) hops.cancellationNotice ??= { at: cancellation, detail: 'cancellation notice sent over SMTP' };
  }
}
