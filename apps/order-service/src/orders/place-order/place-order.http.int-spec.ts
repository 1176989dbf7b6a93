import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestDatabase, operatorAuthorization } from '@shop/infra';
import { loadOrderServiceConfig } from '../../config';
import { createOrderServiceApp } from '../../create-app';
import { orderRequest } from '../../../test/order-request';

const validBody = () => orderRequest();
const operator = operatorAuthorization();

describe('POST /orders and GET /orders/:id (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  let dataSource: DataSource;

  const counts = async () => {
    const [{ orders, outbox }] = await dataSource.query(
      'SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM outbox)::int AS outbox',
    );
    return { orders, outbox };
  };

  beforeAll(async () => {
    db = await createTestDatabase('orders_api_it');
    const config = loadOrderServiceConfig({ ...db.env, HTTP_BODY_LIMIT: '16kb' });
    app = await createOrderServiceApp(config, { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    dataSource = app.get(DataSource);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('places an order: 201, the order row and one order.placed.v1 outbox row', async () => {
    const before = await counts();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await request(app.getHttpServer())
      .post('/orders')
      .set('traceparent', traceparent)
      .set('x-correlation-id', 'corr-42')
      .send(validBody())
      .expect(201);
    expect(res.body).toMatchObject({ status: 'PLACED', totalCents: 3998, currency: 'EUR' });
    expect(res.body).not.toHaveProperty('contactEmail');
    expect(await counts()).toEqual({ orders: before.orders + 1, outbox: before.outbox + 1 });
    const [row] = await dataSource.query(
      'SELECT type, aggregateid, payload, headers FROM outbox WHERE aggregateid = $1',
      [res.body.id],
    );
    expect(row.headers).toMatchObject({ traceparent, correlationId: 'corr-42' });
    expect(row).toMatchObject({ type: 'order.placed.v1', aggregateid: res.body.id });
    expect(row.payload.data).toMatchObject({ orderId: res.body.id, contactEmail: 'ada@example.com', totalCents: 3998 });

    const got = await request(app.getHttpServer()).get(`/orders/${res.body.id}`).expect(200);
    expect(got.body).toEqual(res.body);
  });

  const badBodies: [string, () => unknown, string[]][] = [
    ['missing fields', () => ({}), ['customerId', 'contactEmail', 'items', 'shippingAddress']],
    ['wrong types', () => ({ ...validBody(), customerId: 42, items: 'many' }), ['customerId', 'items']],
    [
      'a negative quantity',
      () => ({ ...validBody(), items: [{ sku: 'A', quantity: -1, unitPriceCents: 1 }] }),
      ['items.0.quantity'],
    ],
    [
      'a fractional price',
      () => ({ ...validBody(), items: [{ sku: 'A', quantity: 1, unitPriceCents: 9.99 }] }),
      ['items.0.unitPriceCents'],
    ],
    ['no items', () => ({ ...validBody(), items: [] }), ['items']],
    [
      'a huge item array',
      () => ({
        ...validBody(),
        items: Array.from({ length: 101 }, () => ({ sku: 'A', quantity: 1, unitPriceCents: 1 })),
      }),
      ['items'],
    ],
    ['an invalid email', () => ({ ...validBody(), contactEmail: 'not-an-email' }), ['contactEmail']],
    ['an unknown field', () => ({ ...validBody(), discount: 100 }), ['(body)']],
    [
      "a total over the contract's cap (11 × 10,000,000 cents)",
      () => ({ ...validBody(), items: [{ sku: 'A', quantity: 11, unitPriceCents: 10_000_000 }] }),
      ['items'],
    ],
    ['a NUL in customerId', () => ({ ...validBody(), customerId: 'customer\u0000-1' }), ['customerId']],
    [
      'a NUL in a sku and in the address',
      () => ({
        ...validBody(),
        items: [{ sku: 'BOOK\u0000', quantity: 1, unitPriceCents: 1 }],
        shippingAddress: { ...validBody().shippingAddress, line1: 'Haupt\u0000straße 1' },
      }),
      ['items.0.sku', 'shippingAddress.line1'],
    ],
    [
      'lone surrogates',
      () => ({
        ...validBody(),
        customerId: 'a\ud800b',
        shippingAddress: { ...validBody().shippingAddress, city: 'Ber\udc00lin' },
      }),
      ['customerId', 'shippingAddress.city'],
    ],
    [
      'a control character',
      () => ({ ...validBody(), shippingAddress: { ...validBody().shippingAddress, postalCode: '10\u001b115' } }),
      ['shippingAddress.postalCode'],
    ],
    [
      'a bad country',
      () => ({ ...validBody(), shippingAddress: { ...validBody().shippingAddress, country: 'Germany' } }),
      ['shippingAddress.country'],
    ],
  ];

  it.each(badBodies)('answers 400 naming the fields for %s, and writes nothing', async (_name, body, fields) => {
    const before = await counts();
    const res = await request(app.getHttpServer())
      .post('/orders')
      .send(body() as object)
      .expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(fields));
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(await counts()).toEqual(before);
  });

  it('answers 400 for malformed JSON and 413 for an oversized body, writing nothing', async () => {
    const before = await counts();
    await request(app.getHttpServer())
      .post('/orders')
      .set('content-type', 'application/json')
      .send('{"customerId": ')
      .expect(400);
    const huge = {
      ...validBody(),
      items: Array.from({ length: 2000 }, () => ({ sku: 'A', quantity: 1, unitPriceCents: 1 })),
    };
    await request(app.getHttpServer()).post('/orders').send(huge).expect(413);
    expect(await counts()).toEqual(before);
  });

  /** Sends bytes as they are: supertest would serialize a Buffer as JSON. */
  const postRaw = (body: string | Buffer) =>
    request(app.getHttpServer())
      .post('/orders')
      .set('content-type', 'application/json')
      .serialize((b: Buffer) => b as unknown as string)
      .send(Buffer.from(body));
  const fieldsOf = (res: request.Response) => res.body.errors.map((e: { field: string }) => e.field);

  it('accepts a body that starts with a UTF-8 byte order mark (RFC 8259 lets a parser ignore it)', async () => {
    const res = await postRaw(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(validBody()))]),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ customerId: 'customer-1', totalCents: 3998 });
  });

  it('takes -0 as 0: answered, stored and published as 0; a quantity of -0 is refused', async () => {
    const text = JSON.stringify(validBody()).replace('"unitPriceCents":1999', '"unitPriceCents":-0');
    const res = await postRaw(text).expect(201);
    expect(res.text).toContain('"unitPriceCents":0');
    const [row] = await dataSource.query(
      `SELECT o.lines::text AS lines, x.payload -> 'data' ->> 'items' AS published, x.payload -> 'data' AS data
         FROM orders o JOIN outbox x ON x.aggregateid = o.id::text WHERE o.id = $1`,
      [res.body.id],
    );
    expect([row.lines, row.published]).toEqual([expect.not.stringMatching(/-0/), expect.not.stringMatching(/-0/)]);
    expect(Object.is(row.data.items[0].unitPriceCents, 0)).toBe(true);
    expect(row.data.totalCents).toBe(0);

    const before = await counts();
    const zeroQuantity = await postRaw(JSON.stringify(validBody()).replace('"quantity":2', '"quantity":-0')).expect(
      400,
    );
    expect(fieldsOf(zeroQuantity)).toEqual(['items.0.quantity']);
    expect(await counts()).toEqual(before);
  });

  it('answers 400 naming the key for a key given twice, at any depth, and writes nothing', async () => {
    const before = await counts();
    const text = JSON.stringify(validBody());
    const top = await postRaw(text.replace('{"customerId"', '{"customerId":"mallory","customerId"')).expect(400);
    expect(top.body).toMatchObject({ statusCode: 400, errors: [{ field: 'customerId' }] });
    const nested = await postRaw(text.replace('"quantity":2', '"quantity":2,"\\u0071uantity":1000')).expect(400);
    expect(fieldsOf(nested)).toEqual(['items.0.quantity']);
    expect(await counts()).toEqual(before);
  });

  it('answers 400 for bytes that are not UTF-8 instead of storing U+FFFD, and writes nothing', async () => {
    const before = await counts();
    const bytes = Buffer.from(JSON.stringify(validBody()));
    bytes[bytes.indexOf('customer-1') + 2] = 0xff;
    const res = await postRaw(bytes).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, errors: [{ field: '(body)' }] });
    expect(await counts()).toEqual(before);
  });

  it('answers 400 for malformed JSON without echoing any of the body', async () => {
    const res = await postRaw('{"contactEmail": "ada@example.com" "customerId": 1}').expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, errors: [{ field: '(body)' }] });
    expect(res.text).not.toMatch(/ada|example|customerId/);
  });

  it('answers 404 for an unknown order and 400 for an id that is not a uuid', async () => {
    await request(app.getHttpServer()).get('/orders/0f8fad5b-d9cb-469f-a165-70867728950e').expect(404);
    await request(app.getHttpServer()).get('/orders/42').expect(400);
  });

  it('serves Prometheus metrics of the outbox', async () => {
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^outbox_pending_rows \d+$/m);
    expect(metrics.text).toContain('outbox_published_total');
  });

  it('answers 415 for a body that is not JSON, writing nothing', async () => {
    const before = await counts();
    const res = await request(app.getHttpServer())
      .post('/orders')
      .set('content-type', 'text/plain')
      .send('customerId=1')
      .expect(415);
    expect(res.body.message).toBe('Content-Type must be application/json');
    expect(await counts()).toEqual(before);
  });

  it('lists orders newest first, paginated and filtered by status and customer', async () => {
    const customerId = `lister-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(app.getHttpServer())
        .post('/orders')
        .send({ ...validBody(), customerId })
        .expect(201);
      ids.push(res.body.id);
    }
    await request(app.getHttpServer())
      .post(`/orders/${ids[0]}/cancel`)
      .set(operator)
      .send({ reason: 'test' })
      .expect(200);

    const page1 = await request(app.getHttpServer())
      .get(`/orders?customerId=${customerId}&limit=2`)
      .set(operator)
      .expect(200);
    expect(page1.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(page1.body.items.map((o: { id: string }) => o.id)).toEqual([ids[2], ids[1]]);
    const page2 = await request(app.getHttpServer())
      .get(`/orders?customerId=${customerId}&limit=2&offset=2`)
      .set(operator)
      .expect(200);
    expect(page2.body.items.map((o: { id: string }) => o.id)).toEqual([ids[0]]);
    const cancelled = await request(app.getHttpServer())
      .get(`/orders?customerId=${customerId}&status=CANCELLED`)
      .set(operator)
      .expect(200);
    expect(cancelled.body.items.map((o: { id: string }) => o.id)).toEqual([ids[0]]);

    const bad = await request(app.getHttpServer()).get('/orders?status=LOST&limit=1000').set(operator).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['limit', 'status']);
    const nul = await request(app.getHttpServer()).get('/orders?customerId=a%00b').set(operator).expect(400);
    expect(fieldsOf(nul)).toEqual(['customerId']);
  });

  it('cancels once: 200 with order.cancelled.v1 in the outbox, then 409; 404 for an unknown order', async () => {
    const placed = await request(app.getHttpServer()).post('/orders').send(validBody()).expect(201);
    const res = await request(app.getHttpServer())
      .post(`/orders/${placed.body.id}/cancel`)
      .set(operator)
      .send({ reason: 'changed my mind' })
      .expect(200);
    expect(res.body).toMatchObject({ status: 'CANCELLED', cancelReason: 'changed my mind' });
    const types = await dataSource.query('SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY seq', [
      placed.body.id,
    ]);
    expect(types.map((r: { type: string }) => r.type)).toEqual(['order.placed.v1', 'order.cancelled.v1']);
    await request(app.getHttpServer()).post(`/orders/${placed.body.id}/cancel`).set(operator).send({}).expect(409);
    await request(app.getHttpServer())
      .post('/orders/0f8fad5b-d9cb-469f-a165-70867728950e/cancel')
      .set(operator)
      .send({})
      .expect(404);
    await request(app.getHttpServer())
      .post(`/orders/${placed.body.id}/cancel`)
      .set(operator)
      .send({ reason: 'x'.repeat(500) })
      .expect(400);
    const nul = await request(app.getHttpServer())
      .post(`/orders/${placed.body.id}/cancel`)
      .set(operator)
      .send({ reason: 'no\u0000' })
      .expect(400);
    expect(fieldsOf(nul)).toEqual(['reason']);
  });

  it('cancels on a request without a body or content type (the body is optional), with the default reason', async () => {
    const placed = await request(app.getHttpServer()).post('/orders').send(validBody()).expect(201);
    const res = await request(app.getHttpServer()).post(`/orders/${placed.body.id}/cancel`).set(operator).expect(200);
    expect(res.body).toMatchObject({ status: 'CANCELLED', cancelReason: 'cancelled by the customer' });
  });

  it('serves its OpenAPI document at /docs-json, listing every operation with the request schemas', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/orders', '/orders/{id}', '/orders/{id}/cancel']),
    );
    expect(Object.keys(res.body.paths['/orders']).sort()).toEqual(['get', 'post']);
    expect(res.body.paths['/orders'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['customerId', 'items']),
    );
    expect(res.body.paths['/orders/{id}/cancel'].post.requestBody.required).toBe(false);
    expect(res.body.paths['/orders'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'customerId',
      'limit',
      'offset',
      'status',
    ]);
  });

  it('serves the Swagger UI at /docs with its assets and its initialiser', async () => {
    const page = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('swagger-ui-bundle.js');
    await request(app.getHttpServer()).get('/docs/swagger-ui-bundle.js').expect(200);
    const init = await request(app.getHttpServer()).get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('/orders/{id}/cancel');
  });

  it('answers 400 for an empty JSON body, naming what is at fault, not a 500', async () => {
    const res = await postRaw('').expect(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      errors: [expect.objectContaining({ field: expect.any(String) })],
    });
  });
});
