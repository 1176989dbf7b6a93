import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { register } from 'prom-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestDatabase, kafkaBrokers, waitFor } from '@shop/infra';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';
import { orderRequest } from '../test/order-request';

/**
 * OUTBOX_RELAY_SHARDS reaches the relay: one process leads every shard and publishes every order's events.
 * Twelve shards need more sessions than the ten pooled connections requests share.
 */
describe('order-service with OUTBOX_RELAY_SHARDS (real PostgreSQL and Kafka)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase('orders_shards_it');
  });
  afterAll(() => db?.drop());
  afterEach(() => register.clear());

  it('leads its twelve shards alone, takes orders meanwhile and publishes every outbox row', async () => {
    const config = loadOrderServiceConfig({
      ...db.env,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      OUTBOX_RELAY_SHARDS: '12',
      OUTBOX_POLL_INTERVAL_MS: '50',
    });
    const app = (await createOrderServiceApp(config, { logger: false })) as NestFastifyApplication;
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const metrics = async () => (await request(app.getHttpServer()).get('/metrics')).text;
      await waitFor('twelve shards led', async () => /^outbox_relay_leader 12$/m.test(await metrics()), 20_000);
      for (let i = 0; i < 12; i++) await request(app.getHttpServer()).post('/orders').send(orderRequest()).expect(201);

      const ds = app.get(DataSource);
      const count = async (where: string) => (await ds.query(`SELECT count(*)::int AS n FROM outbox ${where}`))[0].n;
      expect(await count('')).toBeGreaterThanOrEqual(12);
      await waitFor('every row published', async () => (await count('WHERE published_at IS NULL')) === 0, 30_000);
      const text = await metrics();
      expect(text).toMatch(/^outbox_relay_shards 12$/m);
      for (let shard = 0; shard < 12; shard++)
        expect(text).toMatch(new RegExp(`^outbox_relay_shard_leader\\{shard="${shard}"\\} 1$`, 'm'));
    } finally {
      await app.close();
    }
  });
});
