import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestDatabase, operatorAuthorization } from '@shop/infra';
import { loadEmailServiceConfig } from '../config';
import { createEmailServiceApp } from '../create-app';

describe('email-service HTTP (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    db = await createTestDatabase('email_it');
    app = await createEmailServiceApp(loadEmailServiceConfig(db.env), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('serves its OpenAPI document at /docs-json, listing its operation with the query schema', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(res.body.info.title).toBe('email-service');
    expect(Object.keys(res.body.paths['/emails'])).toEqual(['get']);
    expect(res.body.paths['/emails'].get.parameters).toMatchObject([
      { name: 'orderId', in: 'query', required: false, schema: { format: 'uuid' } },
    ]);
  });

  it('lists emails by order', async () => {
    await request(app.getHttpServer())
      .get(`/emails?orderId=${randomUUID()}`)
      .set(operatorAuthorization())
      .expect(200, []);
  });

  it.each([
    ['a NUL', 'orderId=a%00b', { field: 'orderId' }],
    ['bytes that are not UTF-8', 'orderId=%ED%A0%80', { field: 'orderId' }],
    ['an unknown parameter', 'orderId[a]=1', { field: '(body)', message: 'Unrecognized key: "orderId[a]"' }],
  ])('answers 400 saying what is wrong for a query string with %s', async (_name, query, error) => {
    const res = await request(app.getHttpServer()).get(`/emails?${query}`).set(operatorAuthorization()).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, errors: [error] });
  });
});
