import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ConfigError } from '@shop/service-kit';
import { createTestDatabase, operatorAuthorization } from '@shop/infra';
import { loadShippingServiceConfig } from './config';
import { createShippingServiceApp } from './create-app';

/** Listing and dispatching shipments are operator actions. */
describe('shipping-service operator routes (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  let dataSource: DataSource;
  let shipmentId: string;
  const http = () => request(app.getHttpServer());
  const status = async () =>
    (await dataSource.query('SELECT status FROM shipments WHERE id = $1', [shipmentId]))[0].status;

  beforeAll(async () => {
    db = await createTestDatabase('shipping_operator_it');
    app = await createShippingServiceApp(loadShippingServiceConfig(db.env), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    dataSource = app.get(DataSource);
    shipmentId = randomUUID();
    await dataSource.query(
      `INSERT INTO shipments (id, order_id, status, item_count, shipping_address) VALUES ($1, $2, 'SCHEDULED', 1, '{}')`,
      [shipmentId, randomUUID()],
    );
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const call = (method: 'get' | 'post', route: string, headers: Record<string, string>) => {
    const path = route.replace(':id', shipmentId);
    return method === 'get' ? http().get(path).set(headers) : http().post(path).set(headers).send({});
  };

  it.each([
    ['get', '/shipments'],
    ['post', '/shipments/:id/dispatch'],
  ] as const)(
    '%s %s: 401 without or with a malformed header, 403 with a wrong token, 200 with it',
    async (method, path) => {
      const none = await call(method, path, {}).expect(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="operator"');
      expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      const malformed = await call(method, path, { authorization: 'Bearer' }).expect(401);
      expect(malformed.body.message).toBe('malformed Authorization header: expected Bearer <token>');
      const wrong = await call(method, path, { authorization: 'Bearer not-the-operator-token' }).expect(403);
      expect(wrong.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'the operator token is not valid' });
      expect(await status()).toBe('SCHEDULED'); // refused before anything ran
      await call(method, path, operatorAuthorization()).expect(200);
    },
  );

  it('leaves the docs, health and metrics open', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics', '/docs-json']) await http().get(path).expect(200);
  });

  it('documents the bearer scheme, and 401 and 403, on both routes', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes.operator).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const op of [doc.paths['/shipments'].get, doc.paths['/shipments/{id}/dispatch'].post]) {
      expect(op.security).toEqual([{ operator: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
  });

  it('refuses to start without OPERATOR_TOKEN, naming it', () => {
    const withoutToken = { ...db.env, OPERATOR_TOKEN: undefined };
    expect(() => loadShippingServiceConfig(withoutToken)).toThrow(ConfigError);
    expect(() => loadShippingServiceConfig(withoutToken)).toThrow(/OPERATOR_TOKEN: required/);
  });
});
