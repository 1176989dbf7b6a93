import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { register } from 'prom-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ORDER_EVENTS_TOPIC } from '@shop/contracts';
import { createTestDatabase, readTopic } from '@shop/infra';
import { ConfigError } from '@shop/service-kit';
import { loadOrderServiceConfig } from '../../config';
import { createOrderServiceApp } from '../../create-app';
import { orderRequest } from '../../../test/order-request';

const body = orderRequest({ customerId: 'naive-1' });

/** The demo-only dual write (npm run drill): absent by default, and without an outbox row when on. */
describe('POST /demo/naive-orders (real PostgreSQL and Kafka)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const apps: NestFastifyApplication[] = [];

  const env = (extra: Record<string, string> = {}) => ({ ...db.env, ...extra });
  const start = async (extra: Record<string, string> = {}) => {
    // One app at a time: the metrics live in prom-client's global registry.
    for (const app of apps.splice(0)) await app.close();
    register.clear();
    const app = await createOrderServiceApp(loadOrderServiceConfig(env(extra)), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    db = await createTestDatabase('orders_naive_it');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
  });

  it('refuses a DEMO_NAIVE_DUAL_WRITE that is not true or false, naming it', () => {
    expect(() => loadOrderServiceConfig(env({ DEMO_NAIVE_DUAL_WRITE: 'yes' }))).toThrow(ConfigError);
    expect(() => loadOrderServiceConfig(env({ DEMO_NAIVE_DUAL_WRITE: 'yes' }))).toThrow(/DEMO_NAIVE_DUAL_WRITE/);
  });

  it('is not mounted by default', async () => {
    const app = await start();
    await request(app.getHttpServer()).post('/demo/naive-orders').send(body).expect(404);
  });

  it('with the flag: commits the order without an outbox row and sends the event itself', async () => {
    const app = await start({ DEMO_NAIVE_DUAL_WRITE: 'true' });
    const res = await request(app.getHttpServer()).post('/demo/naive-orders').send(body).expect(201);
    const dataSource = app.get(DataSource);
    expect(await dataSource.query('SELECT id FROM orders WHERE id = $1', [res.body.id])).toHaveLength(1);
    expect(await dataSource.query('SELECT id FROM outbox WHERE aggregateid = $1', [res.body.id])).toHaveLength(0);

    const reader = await readTopic(ORDER_EVENTS_TOPIC);
    try {
      const [message] = await reader.waitFor(1, (m) => String(m.key) === res.body.id);
      expect(String(message.headers?.type)).toBe('order.placed.v1');
      expect(JSON.parse(String(message.value))).toMatchObject({ aggregateId: res.body.id, data: { totalCents: 3998 } });
    } finally {
      await reader.stop();
    }
  });

  it('answers 400 naming the fields for an invalid body, and writes nothing', async () => {
    const app = await start({ DEMO_NAIVE_DUAL_WRITE: 'true' });
    const [{ n: before }] = await app.get(DataSource).query('SELECT count(*)::int AS n FROM orders');
    const res = await request(app.getHttpServer())
      .post('/demo/naive-orders')
      .send({ ...body, contactEmail: 'not-an-email', items: [] })
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
      expect.arrayContaining(['contactEmail', 'items']),
    );
    const [{ n: after }] = await app.get(DataSource).query('SELECT count(*)::int AS n FROM orders');
    expect(after).toBe(before);
  });
});
