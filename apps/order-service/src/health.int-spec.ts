import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { register } from 'prom-client';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { createTestDatabase, kafkaBrokers, rabbitmqUrl } from '@shop/infra';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';
import { orderRequest } from '../test/order-request';

/** Readiness is "can take orders": the database. Broker, backlog and parked rows are diagnostics. */
describe('order-service health (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    db = await createTestDatabase('orders_health_it');
  });
  afterAll(() => db?.drop());
  afterEach(() => register.clear()); // each app registers its metrics anew

  async function startApp(brokers: string, env: NodeJS.ProcessEnv = {}) {
    const app = await createOrderServiceApp(loadOrderServiceConfig({ ...db.env, KAFKA_BROKERS: brokers, ...env }), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app as NestFastifyApplication;
  }

  const timed = async (app: NestFastifyApplication, path: string) => {
    const t0 = Date.now();
    const res = await request(app.getHttpServer()).get(path);
    return { status: res.status, body: res.body, text: res.text, ms: Date.now() - t0 };
  };

  it('stays ready without the broker and with parked rows; diagnostics and metrics report both', async () => {
    const app = await startApp('127.0.0.1:1'); // nothing listens there
    try {
      const ds = app.get(DataSource);
      // A row parked two hours ago, and one pending for 90 s (the broker is away).
      await ds.query(
        `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, created_at, attempts, parked_at)
         VALUES ($1, 'order', 'a', 'order.placed.v1', '{}', now() - interval '2 hours', 10, now() - interval '1 hour'),
                ($2, 'order', 'b', 'order.placed.v1', '{}', now() - interval '90 seconds', 0, NULL)`,
        [randomUUID(), randomUUID()],
      );
      await request(app.getHttpServer()).post('/orders').send(orderRequest()).expect(201);

      const ready = await timed(app, '/health/ready');
      expect(ready).toMatchObject({ status: 200, body: { status: 'ok', details: { database: { status: 'up' } } } });
      expect(Object.keys(ready.body.details)).toEqual(['database']);

      const diagnostics = await timed(app, '/health/diagnostics');
      expect(diagnostics.status).toBe(200);
      expect(diagnostics.body).toMatchObject({
        status: 'degraded',
        details: {
          database: { status: 'up' },
          kafka: { status: 'down' },
          outbox: { status: 'down', parked: 1, pending: 2 },
        },
      });
      // The parked row's two hours are not the backlog's age.
      expect(diagnostics.body.details.outbox.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(90);
      expect(diagnostics.body.details.outbox.oldestPendingAgeSeconds).toBeLessThan(600);
      expect(diagnostics.ms).toBeLessThan(3_500);

      const metrics = (await timed(app, '/metrics')).text;
      expect(metrics).toMatch(/^kafka_broker_reachable 0$/m);
      expect(metrics).toMatch(/^outbox_parked_rows 1$/m);
      expect(metrics).toMatch(/^outbox_pending_rows 2$/m);
      const age = Number(/^outbox_oldest_pending_age_seconds ([\d.]+)$/m.exec(metrics)?.[1]);
      expect(age).toBeGreaterThanOrEqual(90);
      expect(age).toBeLessThan(600);
    } finally {
      await app.close();
    }
  });

  it('keeps taking orders when the broker refuses its password, and says the broker is down', async () => {
    const app = await startApp(kafkaBrokers().join(','), { KAFKA_SASL_PASSWORD: `rotated-${randomUUID()}` });
    try {
      await request(app.getHttpServer()).post('/orders').send(orderRequest()).expect(201);
      expect(await timed(app, '/health/ready')).toMatchObject({ status: 200, body: { status: 'ok' } });
      const diagnostics = await timed(app, '/health/diagnostics');
      expect(diagnostics.body).toMatchObject({ status: 'degraded', details: { kafka: { status: 'down' } } });
      expect((await timed(app, '/metrics')).text).toMatch(/^kafka_broker_reachable 0$/m);
    } finally {
      await app.close();
    }
  });

  it('reports everything up with the broker there, and the inbox metrics exist', async () => {
    const app = await startApp(kafkaBrokers().join(','));
    try {
      await app.get(DataSource).query('UPDATE outbox SET parked_at = NULL, published_at = now()');
      const diagnostics = await timed(app, '/health/diagnostics');
      expect(diagnostics.body).toMatchObject({
        status: 'ok',
        details: { inbox: { status: 'up' } },
      });
      expect(diagnostics.body).toMatchObject({
        details: { database: { status: 'up' }, kafka: { status: 'up' }, outbox: { status: 'up', parked: 0 } },
      });
      const metrics = (await timed(app, '/metrics')).text;
      expect(metrics).toMatch(/^kafka_broker_reachable 1$/m);
      for (const name of ['inbox_handled_total', 'inbox_dead_lettered_total', 'inbox_handler_duration_seconds'])
        expect(metrics).toContain(`# TYPE ${name} `);
    } finally {
      await app.close();
    }
  });

  it('on RabbitMQ checks the node instead of Kafka, within 3 s, and stays ready without it', async () => {
    // A queue of its own, so that it takes nothing from a running order-service's.
    const rabbitmq = (url: string) => ({ BROKER: 'rabbitmq', RABBITMQ_URL: url, KAFKA_CONSUMER_GROUP: 'health-it' });
    const away = await startApp('', rabbitmq('amqp://outbox:outbox@127.0.0.1:1'));
    try {
      expect((await timed(away, '/health/ready')).status).toBe(200);
      const diagnostics = await timed(away, '/health/diagnostics');
      expect(diagnostics.body).toMatchObject({ status: 'degraded', details: { rabbitmq: { status: 'down' } } });
      expect(diagnostics.body.details).not.toHaveProperty('kafka');
      expect(diagnostics.ms).toBeLessThan(3_500);
      const metrics = (await timed(away, '/metrics')).text;
      expect(metrics).toMatch(/^rabbitmq_broker_reachable 0$/m);
      expect(metrics).not.toContain('kafka_broker_reachable');
    } finally {
      await away.close();
      register.clear();
    }
    const there = await startApp('', rabbitmq(rabbitmqUrl()));
    try {
      const diagnostics = await timed(there, '/health/diagnostics');
      expect(diagnostics.body).toMatchObject({ details: { rabbitmq: { status: 'up' }, database: { status: 'up' } } });
      expect((await timed(there, '/metrics')).text).toMatch(/^rabbitmq_broker_reachable 1$/m);
    } finally {
      await there.close();
      await deleteQueues(`${SHIPMENT_EVENTS_TOPIC}.health-it`, `${SHIPMENT_EVENTS_TOPIC}.health-it.dlt`);
    }
  });
});

/** Left behind, a durable queue bound to the exchange would collect every later shipment event on the node. */
async function deleteQueues(...queues: string[]) {
  const connection = await connect(rabbitmqUrl());
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close();
  }
}
