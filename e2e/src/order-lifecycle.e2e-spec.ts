import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fixtures, ORDER_EVENTS_TOPIC } from '@shop/contracts';
import {
  operatorAuthorization,
  publishToTopic,
  readMailbox,
  RunningService,
  settings,
  startServices,
  waitFor,
} from '@shop/infra';

interface Order {
  id: string;
  status: string;
}
interface Shipment {
  id: string;
  orderId: string;
  status: string;
  trackingNumber: string | null;
}

const body = (contactEmail: string) => ({
  customerId: `customer-${randomUUID().slice(0, 8)}`,
  contactEmail,
  items: [{ sku: 'BOOK-42', quantity: 1, unitPriceCents: 1999 }],
  shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
});

describe('order lifecycle across the three services', () => {
  let services: RunningService[] = [];
  const url = (name: string) => services.find((s) => s.name === name)?.url ?? '';
  const call = async <T>(method: string, path: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  // Listing, dispatching and cancelling are operator actions; placing and reading an order are open.
  const operator = operatorAuthorization();
  const order = async (id: string) => (await call<Order>('GET', `${url('order-service')}/orders/${id}`)).body;
  const shipment = async (orderId: string) =>
    (await call<Shipment[]>('GET', `${url('shipping-service')}/shipments?orderId=${orderId}`, undefined, operator))
      .body[0];
  const mailsTo = async (address: string) =>
    (await readMailbox()).messages.filter((m) => m.To.some((t) => t.Address === address));
  const place = async (contactEmail: string) => {
    const res = await call<Order>('POST', `${url('order-service')}/orders`, body(contactEmail));
    expect(res.status).toBe(201);
    return res.body.id;
  };

  beforeAll(async () => {
    services = await startServices(['order-service', 'shipping-service', 'email-service']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });

  it('places, dispatches and notifies: order DISPATCHED, one confirmation and one shipped notice', async () => {
    const email = `e2e+${randomUUID()}@example.com`;
    const orderId = await place(email);
    await waitFor('shipment scheduled', async () => (await shipment(orderId))?.status === 'SCHEDULED', 30_000);

    const { id: shipmentId } = await shipment(orderId);
    const dispatched = await call<Shipment>(
      'POST',
      `${url('shipping-service')}/shipments/${shipmentId}/dispatch`,
      { carrier: 'DHL' },
      operator,
    );
    expect(dispatched.status).toBe(200);
    expect(dispatched.body.trackingNumber).toMatch(/^DHL-/);

    await waitFor('order marked dispatched', async () => (await order(orderId)).status === 'DISPATCHED', 30_000);
    await waitFor('two emails', async () => (await mailsTo(email)).length >= 2, 30_000);
    const subjects = (await mailsTo(email)).map((m) => m.Subject).sort();
    expect(subjects).toEqual([
      `Your order ${orderId.slice(0, 8)} is confirmed`,
      `Your order ${orderId.slice(0, 8)} is on its way`,
    ]);

    const late = await call<{ message: string }>(
      'POST',
      `${url('order-service')}/orders/${orderId}/cancel`,
      {},
      operator,
    );
    expect(late.status).toBe(409);
  });

  it('cancels before dispatch: shipment CANCELLED, never dispatched, one cancellation notice', async () => {
    const email = `e2e+${randomUUID()}@example.com`;
    const orderId = await place(email);
    await waitFor('shipment scheduled', async () => (await shipment(orderId))?.status === 'SCHEDULED', 30_000);

    const cancelled = await call<Order>(
      'POST',
      `${url('order-service')}/orders/${orderId}/cancel`,
      { reason: 'changed my mind' },
      operator,
    );
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
    await waitFor('shipment cancelled', async () => (await shipment(orderId)).status === 'CANCELLED', 30_000);

    const refused = await call(
      'POST',
      `${url('shipping-service')}/shipments/${(await shipment(orderId)).id}/dispatch`,
      {},
      operator,
    );
    expect(refused.status).toBe(409);
    await waitFor(
      'cancellation notice',
      async () => (await mailsTo(email)).some((m) => m.Subject.endsWith('was cancelled')),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect((await mailsTo(email)).map((m) => m.Subject).sort()).toEqual([
      `Your order ${orderId.slice(0, 8)} is confirmed`,
      `Your order ${orderId.slice(0, 8)} was cancelled`,
    ]);
    expect((await order(orderId)).status).toBe('CANCELLED');
  });

  it('returns the same order for a repeated Idempotency-Key, and 409 for another body under it', async () => {
    const key = `e2e-${randomUUID()}`;
    const email = `e2e+${randomUUID()}@example.com`;
    const payload = body(email);
    const first = await call<Order>('POST', `${url('order-service')}/orders`, payload, { 'idempotency-key': key });
    const again = await call<Order>('POST', `${url('order-service')}/orders`, payload, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id } });
    const other = await call(
      'POST',
      `${url('order-service')}/orders`,
      { ...payload, customerId: 'someone-else' },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(409);
    await waitFor('confirmation', async () => (await mailsTo(email)).length === 1, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await mailsTo(email)).toHaveLength(1); // one event, one email
  });

  it('writes structured logs with correlation ids and without email addresses or payloads', async () => {
    const correlationId = `e2e-corr-${randomUUID()}`;
    const email = `e2e+${randomUUID()}@example.com`;
    const res = await call<Order>('POST', `${url('order-service')}/orders`, body(email), {
      'x-correlation-id': correlationId,
    });
    await waitFor('confirmation', async () => (await mailsTo(email)).length === 1, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const logs = services.map((s) => readFileSync(s.logFile, 'utf8')).join('\n');
    expect(logs).not.toMatch(/[\w.+-]+@example\.com/);
    expect(logs).not.toContain('Hauptstraße');
    const lines = logs.split('\n').filter((l) => l.includes(correlationId));
    const servicesSeen = new Set(lines.map((l) => (JSON.parse(l) as { service?: string }).service));
    expect(servicesSeen).toEqual(new Set(['order-service', 'shipping-service', 'email-service']));
    expect(lines.some((l) => l.includes(res.body.id))).toBe(true);
  });

  it('handles a cancellation that reaches the consumers before the placement', async () => {
    const orderId = randomUUID();
    const email = `e2e+${randomUUID()}@example.com`;
    const placed = { ...fixtures.orderPlacedV1, id: randomUUID(), aggregateId: orderId };
    placed.data = { ...placed.data, orderId, contactEmail: email };
    const cancelled = { ...fixtures.orderCancelledV1, id: randomUUID(), aggregateId: orderId };
    cancelled.data = { ...cancelled.data, orderId, contactEmail: email };
    await publishToTopic(
      ORDER_EVENTS_TOPIC,
      [cancelled, placed].map((e) => ({
        key: orderId,
        value: JSON.stringify(e),
        headers: { id: e.id, type: e.type, aggregateId: orderId },
      })),
    );

    await waitFor('both emails', async () => (await mailsTo(email)).length === 2, 30_000);
    const s = await shipment(orderId);
    expect(s).toMatchObject({ orderId, status: 'CANCELLED' }); // the late placement scheduled nothing
    const refused = await call('POST', `${url('shipping-service')}/shipments/${s.id}/dispatch`, {}, operator);
    expect(refused.status).toBe(409);
  });

  it('refuses operator routes without the token (401) or with a wrong one (403), and logs neither token', async () => {
    const orderId = await place(`e2e+${randomUUID()}@example.com`);
    const wrong = { authorization: `Bearer wrong-${randomUUID()}` };
    const routes: [string, string][] = [
      ['GET', `${url('order-service')}/orders`],
      ['POST', `${url('order-service')}/orders/${orderId}/cancel`],
      ['GET', `${url('shipping-service')}/shipments`],
      ['POST', `${url('shipping-service')}/shipments/${randomUUID()}/dispatch`],
      ['GET', `${url('email-service')}/emails`],
    ];
    for (const [method, path] of routes) {
      expect([method, path, (await call(method, path, method === 'POST' ? {} : undefined)).status]).toEqual([
        method,
        path,
        401,
      ]);
      expect([method, path, (await call(method, path, method === 'POST' ? {} : undefined, wrong)).status]).toEqual([
        method,
        path,
        403,
      ]);
    }
    expect((await order(orderId)).status).toBe('PLACED'); // reading one order stays open; the cancel did nothing
    await new Promise((r) => setTimeout(r, 500));
    const logs = services.map((s) => readFileSync(s.logFile, 'utf8')).join('\n');
    expect(logs).not.toContain(wrong.authorization.slice('Bearer '.length));
    expect(logs).not.toContain(settings.operatorToken);
  });
});
