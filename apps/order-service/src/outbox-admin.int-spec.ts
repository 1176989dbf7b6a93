import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestDatabase, operatorAuthorization } from '@shop/infra';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';
import { orderRequest } from '../test/order-request';

/**
 * libs/outbox's admin controller as order-service mounts it: an order's rows with their
 * hops, the parked rows and their re-queue, each behind the operator guard.
 */
describe('order-service /outbox operator routes (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const auth = operatorAuthorization();

  beforeAll(async () => {
    db = await createTestDatabase('orders_outbox_admin_it');
    // No relay: the rows stay unpublished, so parking one is this test's doing alone.
    app = await createOrderServiceApp(loadOrderServiceConfig({ ...db.env, OUTBOX_RELAY: 'off' }), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it.each([
    ['get', '/outbox/rows?aggregateId=00000000-0000-4000-8000-000000000000'],
    ['get', '/outbox/parked'],
    ['post', '/outbox/parked/requeue'],
  ] as const)('%s %s: 401 without the operator token', async (method, path) => {
    await (method === 'get' ? http().get(path) : http().post(path).send({})).expect(401);
  });

  it("lists an order's outbox row, without its payload", async () => {
    const id = (await http().post('/orders').send(orderRequest()).expect(201)).body.id;
    const { body } = await http().get(`/outbox/rows?aggregateId=${id}`).set(auth).expect(200);
    expect(body).toEqual([
      {
        id: expect.any(String),
        type: 'order.placed.v1',
        attempts: 0,
        createdAt: expect.any(String),
        claimedAt: null, // no relay ran
        publishedAt: null,
        parkedAt: null,
      },
    ]);
  });

  it('lists a parked row and puts it back in line', async () => {
    const id = (await http().post('/orders').send(orderRequest()).expect(201)).body.id;
    await app
      .get(DataSource)
      .query(
        `UPDATE outbox SET attempts = 10, last_error = 'broker refused', parked_at = now() WHERE aggregateid = $1`,
        [id],
      );
    const parked = (await http().get('/outbox/parked').set(auth).expect(200)).body;
    expect(parked).toEqual([
      expect.objectContaining({ aggregateId: id, type: 'order.placed.v1', attempts: 10, lastError: 'broker refused' }),
    ]);
    expect(parked[0]).not.toHaveProperty('payload');
    const { body } = await http()
      .post('/outbox/parked/requeue')
      .set(auth)
      .send({ ids: [parked[0].id] })
      .expect(200);
    expect(body).toEqual({ requeued: [parked[0].id] });
    expect((await http().get('/outbox/parked').set(auth).expect(200)).body).toEqual([]);
  });

  it.each([
    ['/outbox/rows?aggregateId=42', 'aggregateId'],
    ['/outbox/parked?limit=0', 'limit'],
  ])('GET %s: 400 naming %s', async (path, field) => {
    const { body } = await http().get(path).set(auth).expect(400);
    expect(body.errors).toEqual([{ field, message: expect.any(String) }]);
  });

  it('refuses ids that are not uuids with a 400 naming ids', async () => {
    const { body } = await http()
      .post('/outbox/parked/requeue')
      .set(auth)
      .send({ ids: ['x'] })
      .expect(400);
    expect(body.errors).toEqual([{ field: 'ids', message: expect.any(String) }]);
  });
});
