import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { fixtures, ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { createTestDatabase, kafkaClient, operatorAuthorization, waitFor } from '@shop/infra';
import { loadShippingServiceConfig } from '../config';
import { createShippingServiceApp } from '../create-app';

describe('shipping-service HTTP and inbox (real PostgreSQL and Kafka)', () => {
  const operator = operatorAuthorization();
  const kafka = new Kafka({ clientId: 'shipping-it', ...kafkaClient(), logLevel: logLevel.NOTHING });
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  let dataSource: DataSource;

  /** The shared topic holds other tests' events: this test's group starts at its end. */
  const startGroupAtTheEnd = async (groupId: string) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(ORDER_EVENTS_TOPIC);
      const partitions = ends.map((p) => ({ partition: p.partition, offset: p.high }));
      await admin.setOffsets({ groupId, topic: ORDER_EVENTS_TOPIC, partitions });
    } finally {
      await admin.disconnect();
    }
  };

  const scheduledShipment = async () => {
    const id = randomUUID();
    await dataSource.query(
      `INSERT INTO shipments (id, order_id, status, item_count, shipping_address) VALUES ($1, $2, 'SCHEDULED', 1, '{}')`,
      [id, randomUUID()],
    );
    return id;
  };
  const state = async (id: string) => {
    const [{ status, outbox }] = await dataSource.query(
      'SELECT status, (SELECT count(*) FROM outbox)::int AS outbox FROM shipments WHERE id = $1',
      [id],
    );
    return { status, outbox };
  };

  beforeAll(async () => {
    db = await createTestDatabase('shipping_it');
    const group = `shipping-it-${randomUUID()}`;
    await startGroupAtTheEnd(group);
    app = await createShippingServiceApp(loadShippingServiceConfig({ ...db.env, KAFKA_CONSUMER_GROUP: group }), {
      logger: false,
    });
    await app.startAllMicroservices();
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('serves its OpenAPI document at /docs-json, listing its operations with the request schemas', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(res.body.info.title).toBe('shipping-service');
    expect(Object.keys(res.body.paths['/shipments'])).toEqual(['get']);
    expect(res.body.paths['/shipments'].get.parameters).toMatchObject([
      { name: 'orderId', in: 'query', required: false },
    ]);
    const dispatch = res.body.paths['/shipments/{id}/dispatch'].post;
    expect(dispatch.requestBody).toMatchObject({
      required: false,
      content: { 'application/json': { schema: { properties: { carrier: { default: 'DHL', maxLength: 20 } } } } },
    });
  });

  it.each([
    ['a NUL', 'DH\u0000L'],
    ['a lone surrogate', 'DHL\ud800'],
    ['a control character', 'D\u0007HL'],
  ])('refuses a carrier with %s: 400 naming it, the shipment stays scheduled, no event', async (_name, carrier) => {
    const id = await scheduledShipment();
    const res = await request(app.getHttpServer())
      .post(`/shipments/${id}/dispatch`)
      .set(operator)
      .send({ carrier })
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, errors: [{ field: 'carrier' }] });
    expect(await state(id)).toEqual({ status: 'SCHEDULED', outbox: 0 });
  });

  it('takes a dispatch without a body (the carrier defaults), and refuses a bad query string', async () => {
    const unknown = randomUUID();
    const res = await request(app.getHttpServer()).post(`/shipments/${unknown}/dispatch`).set(operator).expect(404);
    expect(res.body.message).toBe(`shipment ${unknown} not found`);
    const bad = await request(app.getHttpServer()).get('/shipments?orderId=a%00b').set(operator).expect(400);
    expect(bad.body.errors).toMatchObject([{ field: 'orderId' }]);
  });

  // Tolerant reader: an order.placed.v1 from a newer producer, with fields this consumer does not know.
  it('schedules a shipment from an order.placed.v1 carrying unknown fields, and stores none of them', async () => {
    const event = structuredClone(fixtures.orderPlacedV1);
    const orderId = randomUUID();
    Object.assign(event, { id: randomUUID(), aggregateId: orderId, traceState: 'added-later' });
    Object.assign(event.data, { orderId, contactEmail: `tolerant-${orderId}@example.com`, loyaltyPoints: 12 });
    Object.assign(event.data.items[0], { giftWrap: true });
    Object.assign(event.data.shippingAddress, { deliveryNotes: 'ring twice' });
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: ORDER_EVENTS_TOPIC,
        acks: -1,
        messages: [{ key: orderId, value: JSON.stringify(event) }],
      });
    } finally {
      await producer.disconnect();
    }
    const shipment = async () =>
      (await dataSource.query('SELECT item_count, shipping_address FROM shipments WHERE order_id = $1', [orderId]))[0];
    await waitFor('the shipment scheduled', async () => (await shipment()) !== undefined, 30_000);
    expect(await shipment()).toEqual({
      item_count: 3,
      shipping_address: fixtures.orderPlacedV1.data.shippingAddress,
    });
  });
});
