import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { ConfigError } from '@shop/service-kit';
import { createTestDatabase, operatorAuthorization } from '@shop/infra';
import { loadOrderServiceConfig } from './config';
import { createOrderServiceApp } from './create-app';
import { orderRequest } from '../test/order-request';

/** Listing and cancelling are operator actions; placing and reading one order stay open. */
describe('order-service operator routes (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  let orderId: string;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    db = await createTestDatabase('orders_operator_it');
    app = await createOrderServiceApp(loadOrderServiceConfig({ ...db.env, OUTBOX_RELAY: 'off' }), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    orderId = (await http().post('/orders').send(orderRequest()).expect(201)).body.id;
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const call = (method: 'get' | 'post', route: string, headers: Record<string, string>) => {
    const path = route.replace(':id', orderId);
    return method === 'get' ? http().get(path).set(headers) : http().post(path).set(headers).send({});
  };

  it.each([
    ['get', '/orders'],
    ['post', '/orders/:id/cancel'],
  ] as const)(
    '%s %s: 401 without or with a malformed header, 403 with a wrong token, 200 with it',
    async (method, path) => {
      const none = await call(method, path, {}).expect(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="operator"');
      expect(none.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'an operator credential is required: Authorization: Bearer <token>',
      });
      const malformed = await call(method, path, { authorization: 'Basic b3BlcmF0b3I6eA==' }).expect(401);
      expect(malformed.body.message).toBe('malformed Authorization header: expected Bearer <token>');
      const wrong = await call(method, path, { authorization: 'Bearer not-the-operator-token' }).expect(403);
      expect(wrong.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'the operator token is not valid' });
      // Refused before anything ran: the order is still PLACED until the operator cancels it.
      expect((await http().get(`/orders/${orderId}`).expect(200)).body.status).toBe('PLACED');
      await call(method, path, operatorAuthorization()).expect(200);
    },
  );

  it('refuses an id that is not a uuid with 401, not 400, when there is no credential', async () => {
    await http().post('/orders/42/cancel').send({}).expect(401);
  });

  it('leaves placing, reading one order, the docs, health and metrics open', async () => {
    await http().post('/orders').send(orderRequest()).expect(201);
    await http().get(`/orders/${orderId}`).expect(200);
    for (const path of ['/health/live', '/health/ready', '/metrics', '/docs-json']) await http().get(path).expect(200);
  });

  it('documents the bearer scheme, and 401 and 403, on the operator routes only', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes).toEqual({
      operator: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    for (const op of [doc.paths['/orders'].get, doc.paths['/orders/{id}/cancel'].post]) {
      expect(op.security).toEqual([{ operator: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403']));
    }
    for (const op of [doc.paths['/orders'].post, doc.paths['/orders/{id}'].get]) expect(op.security).toBeUndefined();
  });

  it('refuses to start without OPERATOR_TOKEN, or with a short one, naming it', () => {
    const withoutToken = { ...db.env, OPERATOR_TOKEN: undefined };
    expect(() => loadOrderServiceConfig(withoutToken)).toThrow(ConfigError);
    expect(() => loadOrderServiceConfig(withoutToken)).toThrow(/OPERATOR_TOKEN: required/);
    expect(() => loadOrderServiceConfig({ ...db.env, OPERATOR_TOKEN: 'too-short' })).toThrow(
      /OPERATOR_TOKEN: must be at least 32 characters/,
    );
  });
});
