import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { ConfigError } from '@shop/service-kit';
import { createTestDatabase, operatorAuthorization } from '@shop/infra';
import { loadEmailServiceConfig } from './config';
import { createEmailServiceApp } from './create-app';

/** Listing emails is an operator action. */
describe('email-service operator routes (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    db = await createTestDatabase('email_operator_it');
    app = await createEmailServiceApp(loadEmailServiceConfig(db.env), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('GET /emails: 401 without or with a malformed header, 403 with a wrong token, 200 with it', async () => {
    const none = await http().get('/emails').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="operator"');
    expect(none.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    const malformed = await http().get('/emails').set('authorization', 'Token abc').expect(401);
    expect(malformed.headers['www-authenticate']).toBe('Bearer realm="operator", error="invalid_request"');
    await http().get('/emails').set('authorization', 'Bearer not-the-operator-token').expect(403);
    await http().get('/emails').set(operatorAuthorization()).expect(200, []);
  });

  it('leaves the docs, health and metrics open, and documents the scheme on GET /emails', async () => {
    for (const path of ['/health/live', '/health/ready', '/metrics']) await http().get(path).expect(200);
    const doc = (await http().get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes.operator).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/emails'].get.security).toEqual([{ operator: [] }]);
    expect(Object.keys(doc.paths['/emails'].get.responses)).toEqual(expect.arrayContaining(['401', '403']));
  });

  it('refuses to start without OPERATOR_TOKEN, naming it', () => {
    const withoutToken = { ...db.env, OPERATOR_TOKEN: undefined };
    expect(() => loadEmailServiceConfig(withoutToken)).toThrow(ConfigError);
    expect(() => loadEmailServiceConfig(withoutToken)).toThrow(/OPERATOR_TOKEN: required/);
  });
});
