import { randomUUID } from 'node:crypto';
import { ORDER_EVENTS_TOPIC, orderPlacedV1 } from '@shop/contracts';
import {
  operatorAuthorization,
  publishToTopic,
  readMailbox,
  RunningService,
  startServices,
  tapTopic,
  waitFor,
} from '@shop/infra';

const placeOrderBody = (email: string) => ({
  customerId: `customer-${randomUUID().slice(0, 8)}`,
  contactEmail: email,
  currency: 'EUR',
  items: [
    { sku: 'BOOK-42', quantity: 2, unitPriceCents: 1999 },
    { sku: 'MUG-7', quantity: 1, unitPriceCents: 899 },
  ],
  shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
});

/** An operator's GET (the lists need the operator token). */
const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url, { headers: operatorAuthorization() });
  if (!res.ok) throw new Error(`GET ${url} → ${res.status}`);
  return (await res.json()) as T;
};

const mailsTo = async (email: string) =>
  (await readMailbox()).messages.filter((m) => m.To.some((t) => t.Address === email));

/** Messages a consumer's inbox skipped as already handled, from the service's /metrics. */
const duplicatesSkipped = async (serviceUrl: string, consumer: string): Promise<number> => {
  const metrics = await (await fetch(`${serviceUrl}/metrics`)).text();
  const samples = metrics.matchAll(/^inbox_duplicates_skipped_total\{([^}]*)\} (\d+)$/gm);
  return [...samples].filter((m) => m[1].includes(`consumer="${consumer}"`)).reduce((n, m) => n + Number(m[2]), 0);
};

describe('order → outbox → broker → shipping and email (three processes)', () => {
  let services: RunningService[] = [];
  const [orders, shipping, email] = ['order-service', 'shipping-service', 'email-service'] as const;
  const url = (name: string) => services.find((s) => s.name === name)?.url ?? '';

  beforeAll(async () => {
    services = await startServices([orders, shipping, email]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });

  async function placeOrder(contactEmail: string): Promise<string> {
    const res = await fetch(`${url(orders)}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(placeOrderBody(contactEmail)),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  const shipmentsOf = (orderId: string) =>
    getJson<{ orderId: string; status: string }[]>(`${url(shipping)}/shipments?orderId=${orderId}`);

  it('creates exactly one shipment and sends exactly one confirmation email per order', async () => {
    const contactEmail = `e2e+${randomUUID()}@example.com`;
    const orderId = await placeOrder(contactEmail);

    await waitFor('shipment scheduled', async () => (await shipmentsOf(orderId)).length > 0, 30_000);
    await waitFor('confirmation email delivered', async () => (await mailsTo(contactEmail)).length > 0, 30_000);
    // Give a duplicate time to show up before counting.
    await new Promise((r) => setTimeout(r, 1500));

    expect(await shipmentsOf(orderId)).toEqual([expect.objectContaining({ orderId, status: 'SCHEDULED' })]);
    const mails = await mailsTo(contactEmail);
    expect(mails).toHaveLength(1);
    expect(mails[0].Subject).toBe(`Your order ${orderId.slice(0, 8)} is confirmed`);
    expect(mails[0].MessageID).toMatch(/^[0-9a-f-]{36}\.order-confirmation@/);
  });

  it('gives one shipment and one email when the same event is delivered twice', async () => {
    const contactEmail = `e2e+${randomUUID()}@example.com`;
    // Tapped before the order: on RabbitMQ a tap sees only what is published after it.
    const tap = await tapTopic(ORDER_EVENTS_TOPIC);
    const orderId = await placeOrder(contactEmail);
    await waitFor('confirmation email delivered', async () => (await mailsTo(contactEmail)).length > 0, 30_000);

    // Redeliver: copy the very message the relay published back onto the topic.
    const [original] = await tap.waitFor(1, (m) => m.key === orderId).finally(() => tap.stop());
    expect(original.headers.type).toBe(orderPlacedV1.type);
    const skippedBefore = await Promise.all([
      duplicatesSkipped(url(shipping), 'shipping-service'),
      duplicatesSkipped(url(email), 'email-service'),
    ]);
    await publishToTopic(ORDER_EVENTS_TOPIC, [{ key: orderId, value: original.value, headers: original.headers }]);

    // Both inboxes must have seen the copy and skipped it as a duplicate.
    const skippedCopy = (serviceUrl: string, consumer: string, before: number) => async () =>
      (await duplicatesSkipped(serviceUrl, consumer)) > before;
    await waitFor(
      'shipping skipped the copy',
      skippedCopy(url(shipping), 'shipping-service', skippedBefore[0]),
      30_000,
    );
    await waitFor('email skipped the copy', skippedCopy(url(email), 'email-service', skippedBefore[1]), 30_000);
    await new Promise((r) => setTimeout(r, 1000)); // an email would be sent right after commit

    expect(await shipmentsOf(orderId)).toHaveLength(1);
    expect(await mailsTo(contactEmail)).toHaveLength(1);
  });
});
