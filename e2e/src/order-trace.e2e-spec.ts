import { randomBytes, randomUUID } from 'node:crypto';
import {
  operatorAuthorization,
  readMailbox,
  RunningService,
  startNativeZipkin,
  startServices,
  stopNativeZipkin,
  waitFor,
  zipkinRunning,
  zipkinUrl,
} from '@shop/infra';

/** A span as Zipkin's v2 API returns it (the fields this test reads). */
interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: string;
  timestamp: number;
  localEndpoint: { serviceName: string };
  tags?: Record<string, string>;
}

// Debezium publishes the row's traceparent as it is: no relay publish span in between.
const relaySpans = (process.env.RELAY_MODE ?? 'polling') !== 'debezium';

const orderBody = (contactEmail: string) => ({
  customerId: `customer-${randomUUID().slice(0, 8)}`,
  contactEmail,
  currency: 'EUR',
  items: [{ sku: 'BOOK-42', quantity: 1, unitPriceCents: 1999 }],
  shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
});

const readTrace = async (traceId: string): Promise<ZipkinSpan[]> => {
  const res = await fetch(`${zipkinUrl()}/api/v2/trace/${traceId}`);
  return res.ok ? ((await res.json()) as ZipkinSpan[]) : [];
};

describe('one order, one trace across the three services (Zipkin)', () => {
  let services: RunningService[] = [];
  let zipkinStartedHere = false;
  const url = (name: string) => services.find((s) => s.name === name)?.url ?? '';

  beforeAll(async () => {
    if (!(await zipkinRunning())) {
      await startNativeZipkin();
      zipkinStartedHere = true;
    }
    services = await startServices(['order-service', 'shipping-service', 'email-service'], {
      ZIPKIN_URL: zipkinUrl(),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    // Services started later by other tests would export to it otherwise.
    if (zipkinStartedHere) await stopNativeZipkin();
  });

  it('links HTTP → outbox insert → relay publish → both consumers → SMTP send', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const contactEmail = `trace+${randomUUID()}@example.com`;
    const res = await fetch(`${url('order-service')}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify(orderBody(contactEmail)),
    });
    expect(res.status).toBe(201);
    const { id: orderId } = (await res.json()) as { id: string };

    const shipments = async () =>
      (
        (await await fetch(`${url('shipping-service')}/shipments?orderId=${orderId}`, {
          headers: operatorAuthorization(),
        }).then((r) => r.json())) as unknown[]
      ).length;
    await waitFor('shipment scheduled', async () => (await shipments()) > 0, 30_000);
    await waitFor(
      'confirmation email sent',
      async () => (await readMailbox()).messages.some((m) => m.To.some((t) => t.Address === contactEmail)),
      30_000,
    );

    // Spans are exported in batches (every second), each service on its own clock: wait for
    // every hop's, the producer's too (its batch may land after the consumers').
    let spans: ZipkinSpan[] = [];
    const hasSpan = (service: string, name: string) =>
      spans.some((s) => s.localEndpoint.serviceName === service && s.name === name);
    await waitFor(
      'the spans of every hop in Zipkin',
      async () => {
        spans = await readTrace(traceId);
        return (
          hasSpan('order-service', 'outbox insert') &&
          (!relaySpans ||
            spans.some((s) => s.localEndpoint.serviceName === 'order-service' && s.kind === 'PRODUCER')) &&
          hasSpan('email-service', 'smtp send') &&
          hasSpan('shipping-service', 'consume order.placed.v1') &&
          hasSpan('email-service', 'consume order.placed.v1')
        );
      },
      20_000,
    );

    const one = (service: string, predicate: (s: ZipkinSpan) => boolean, what: string): ZipkinSpan => {
      const found = spans.filter((s) => s.localEndpoint.serviceName === service && predicate(s));
      if (found.length !== 1) throw new Error(`${what}: ${found.length} spans in ${service}, expected 1`);
      return found[0];
    };
    const named = (name: string) => (s: ZipkinSpan) => s.name === name;
    const byId = new Map(spans.map((s) => [s.id, s]));
    /** The span's ancestors in this trace, nearest first (in-process spans may have pg spans in between). */
    const ancestors = (span: ZipkinSpan): string[] => {
      const chain: string[] = [];
      for (let p = span.parentId; p !== undefined; p = byId.get(p)?.parentId) chain.push(p);
      return chain;
    };

    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(new Set(spans.map((s) => s.localEndpoint.serviceName))).toEqual(
      new Set(['order-service', 'shipping-service', 'email-service']),
    );

    const http = one(
      'order-service',
      (s) => s.kind === 'SERVER' && Object.values(s.tags ?? {}).some((v) => /\/orders$/.test(v)),
      'the POST /orders server span',
    );
    const insert = one('order-service', named('outbox insert'), 'the outbox insert');
    const shippingConsume = one('shipping-service', named('consume order.placed.v1'), 'the shipping consume');
    const emailConsume = one('email-service', named('consume order.placed.v1'), 'the email consume');
    const smtp = one('email-service', named('smtp send'), 'the SMTP send');

    expect(http.parentId).toBe(callerSpanId);
    expect(ancestors(insert)).toContain(http.id);
    // Under Debezium the consumers are the insert's children.
    let published = insert;
    if (relaySpans) {
      published = one('order-service', (s) => s.kind === 'PRODUCER', 'the relay publish');
      expect(published.parentId).toBe(insert.id);
    }
    expect(shippingConsume.parentId).toBe(published.id);
    expect(emailConsume.parentId).toBe(published.id);
    expect(smtp.parentId).toBe(emailConsume.id);

    const order = [http, insert, published, emailConsume, smtp].map((s) => s.timestamp);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(shippingConsume.timestamp).toBeGreaterThanOrEqual(published.timestamp);

    // No personal data in any span: the email address, the name of the street.
    expect(JSON.stringify(spans)).not.toMatch(/trace\+|Hauptstra/);
  }, 60_000);
});
