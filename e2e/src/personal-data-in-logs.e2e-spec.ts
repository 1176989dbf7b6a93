import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import {
  publishToTopic,
  queryAsAdmin,
  RunningService,
  startServices,
  tapDeadLetters,
  TappedMessage,
  waitFor,
} from '@shop/infra';

/**
 * The error paths carry the most data: a failed statement holds its parameters, and
 * PostgreSQL's detail quotes the failing row. None of it may reach a log line, in any
 * service. Each database gets a constraint that refuses every new row, so that the order
 * (with a known address, street and item) fails on its way through all three services.
 */
describe('no personal data in any log line, errors included', () => {
  let services: RunningService[] = [];
  const probe = randomUUID().slice(0, 8);
  const contactEmail = `probe.${probe}@example.net`;
  const street = `Probestraße ${probe}`;
  const sku = `PROBE-${probe}`;
  const order = {
    customerId: `probe-customer-${probe}`,
    contactEmail,
    items: [{ sku, quantity: 1, unitPriceCents: 100 }],
    shippingAddress: { line1: street, city: 'Berlin', postalCode: '10115', country: 'DE' },
  };
  const refuseRows = (database: string, table: string) =>
    queryAsAdmin(database, `ALTER TABLE ${table} ADD CONSTRAINT pii_probe CHECK (false) NOT VALID`);
  const acceptRows = (database: string, table: string) =>
    queryAsAdmin(database, `ALTER TABLE ${table} DROP CONSTRAINT IF EXISTS pii_probe`);
  const post = (service: string, path: string, body: unknown) =>
    fetch(`${services.find((s) => s.name === service)?.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const redrive = async (dead: TappedMessage) => {
    const headers = Object.fromEntries(Object.entries(dead.headers).filter(([name]) => !name.startsWith('dlt-')));
    await publishToTopic(ORDER_EVENTS_TOPIC, [{ key: String(dead.key), value: dead.value, headers }]);
  };
  const effectsOf = async (orderId: string) => {
    const [[shipments], [emails]] = await Promise.all([
      queryAsAdmin('shipping', 'SELECT count(*)::int AS n FROM shipments WHERE order_id = $1', [orderId]),
      queryAsAdmin('email', 'SELECT count(*)::int AS n FROM outgoing_emails WHERE order_id = $1', [orderId]),
    ]);
    return shipments.n + emails.n;
  };

  beforeAll(async () => {
    services = await startServices(['order-service', 'shipping-service', 'email-service']);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([
      acceptRows('orders', 'outbox'),
      acceptRows('shipping', 'shipments'),
      acceptRows('email', 'outgoing_emails'),
    ]);
    await Promise.all(services.map((s) => s.stop()));
  });

  it('logs the failed insert, the failed handlers and the dead letters without address, street or payload', async () => {
    const logStart = services.map((s) => statSync(s.logFile).size);

    await refuseRows('orders', 'outbox');
    const refused = await post('order-service', '/orders', order);
    expect(refused.status).toBe(500);
    expect(await refused.text()).not.toMatch(new RegExp(`${probe}|outbox|constraint`));
    await acceptRows('orders', 'outbox');

    // Earlier suites can leave events queued (graceful-shutdown places hundreds of orders):
    // each would fail and be retried while rows are refused. The consumers reach an order
    // placed now only after them (a RabbitMQ queue is FIFO).
    const sentinel = (await (await post('order-service', '/orders', order)).json()) as { id: string };
    await waitFor('the consumers caught up', async () => (await effectsOf(sentinel.id)) === 2, 120_000);

    await refuseRows('shipping', 'shipments');
    await refuseRows('email', 'outgoing_emails');
    const deadLetters = await tapDeadLetters(ORDER_EVENTS_TOPIC, ['shipping-service', 'email-service']);
    try {
      const placed = await post('order-service', '/orders', order);
      expect(placed.status).toBe(201);
      const { id } = (await placed.json()) as { id: string };
      // Both consumers retry their handler, then dead-letter the event.
      const dead = await deadLetters.waitFor(2, (m) => m.key === id, 60_000);
      expect(dead.map((m) => m.headers['dlt-consumer']).sort()).toEqual(['email-service', 'shipping-service']);
      // Fixed, the event is re-driven from the dead letters as an operator would: its
      // key and original headers are there. Left dead-lettered, a later replay of the topic
      // (fault scenario 13, the replay drill) would take effect for the first time.
      await Promise.all([acceptRows('shipping', 'shipments'), acceptRows('email', 'outgoing_emails')]);
      await redrive(dead[0]);
      await waitFor('the re-driven order shipped and mailed', async () => (await effectsOf(id)) === 2, 60_000);
    } finally {
      await deadLetters.stop();
    }

    const written = services.map((s, i) => readFileSync(s.logFile).subarray(logStart[i]).toString('utf8'));
    const errorLines = written
      .join('\n')
      .split('\n')
      .filter((l) => /"level":(40|50)/.test(l));
    expect(errorLines.length).toBeGreaterThanOrEqual(3); // the 500 and both dead letters were logged
    for (const [i, text] of written.entries()) {
      const leaks = [contactEmail, `probe.${probe}`, street, sku, order.customerId, '"contactEmail"'].filter((s) =>
        text.includes(s),
      );
      expect([services[i].name, leaks]).toEqual([services[i].name, []]);
    }
  }, 120_000);
});
