import { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ORDER_LIMITS } from '@shop/contracts';
import { createTestDatabase } from '@shop/infra';
import { loadOrderServiceConfig } from '../../config';
import { createOrderServiceApp } from '../../create-app';
import { orderRequest } from '../../../test/order-request';

const valid = orderRequest();
const validText = JSON.stringify(valid);
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const PERSONAL = /ada@example\.com|Hauptstraße/;

const FIELDS = [
  'customerId',
  'contactEmail',
  'currency',
  'items',
  'items.0',
  'items.0.sku',
  'items.0.quantity',
  'items.0.unitPriceCents',
  'shippingAddress',
  'shippingAddress.line1',
  'shippingAddress.line2',
  'shippingAddress.city',
  'shippingAddress.postalCode',
  'shippingAddress.country',
];
const KNOWN_KEYS = new Set(FIELDS.map((f) => f.split('.').pop()));
const KEYS_IN_VALID_TEXT = ['customerId', 'items', 'sku', 'quantity', 'unitPriceCents', 'line1', 'city', 'country'];

/** The valid body with `value` at `path` (or the key removed); defineProperty keeps `__proto__` an own key. */
const validWith = (path: string | string[], value?: unknown) => {
  const body = JSON.parse(validText);
  const keys = typeof path === 'string' ? path.split('.') : [...path];
  const last = keys.pop() as string;
  const parent = keys.reduce((node, key) => node[key], body);
  if (value === undefined) delete parent[last];
  else Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
  return JSON.stringify(body);
};

// Values no field of the request accepts, whichever field they land in.
const badChar = fc.constantFrom(
  '\u0000',
  '\u0001',
  '\u0007',
  '\t',
  '\n',
  '\u001b',
  '\u007f',
  '\u0085',
  '\ud800',
  '\udfff',
);
const badValue = fc.oneof(
  fc.tuple(fc.string({ maxLength: 8 }), badChar, fc.string({ maxLength: 8 })).map(([a, c, b]) => `x${a}${c}${b}`),
  fc.integer({ max: -1 }),
  fc.integer({ min: ORDER_LIMITS.maxUnitPriceCents + 1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, 1e21, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE),
  fc.constantFrom(null, true, false, [], {}, [1, 'a'], { a: 1 }),
  fc.integer({ min: 201, max: 3000 }).map((n) => 'x'.repeat(n)),
);

const nested = (depth: number, object: boolean) =>
  object ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);

/** Request bodies as bytes, each of them wrong in one way or another. */
const badBodies: fc.Arbitrary<Buffer | string> = fc.oneof(
  // a wrong type, number, string or character in one field
  fc.tuple(fc.constantFrom(...FIELDS), badValue).map(([path, value]) => validWith(path, value)),
  // a required field missing
  fc.constantFrom(...FIELDS.filter((f) => !/currency|line2|items\.0$/.test(f))).map((path) => validWith(path)),
  // an unknown field, at any level
  fc
    .tuple(fc.constantFrom([], ['items', '0'], ['shippingAddress']), fc.string({ minLength: 1, maxLength: 12 }))
    .filter(([, key]) => !KNOWN_KEYS.has(key))
    .map(([at, key]) => validWith([...at, key], 1)),
  // keys that reach for prototypes
  fc
    .tuple(
      fc.constantFrom('{', '"items":[{', '"shippingAddress":{'),
      fc.constantFrom('"__proto__":{"admin":true}', '"constructor":{"prototype":{"admin":true}}', '"prototype":1'),
    )
    .map(([at, key]) => validText.replace(at, `${at}${key},`)),
  // a key given twice, the first time perhaps spelled with an escape
  fc
    .tuple(fc.constantFrom(...KEYS_IN_VALID_TEXT), fc.jsonValue({ maxDepth: 1 }), fc.boolean())
    .map(([key, value, escaped]) => {
      const twin = escaped ? `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}` : key;
      return validText.replace(`"${key}":`, `"${twin}":${JSON.stringify(value)},"${key}":`);
    }),
  // bytes that are not UTF-8 inside a string
  fc
    .tuple(
      fc.constantFrom('customer-1', 'BOOK-42', 'Berlin', '10115'),
      fc.constantFrom([0xff], [0x80], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]),
    )
    .map(([at, bytes]) => {
      const text = Buffer.from(validText);
      const i = text.indexOf(at) + 1;
      return Buffer.concat([text.subarray(0, i), Buffer.from(bytes), text.subarray(i)]);
    }),
  // -0 and number spellings JSON does not have, as the quantity
  fc
    .constantFrom('-0', '-0.0', '-0e3', 'NaN', 'Infinity', '-Infinity', '1e999', '0x10', '+1', '01', '.5', '"2"')
    .map((n) => validText.replace('"quantity":2', `"quantity":${n}`)),
  // deep nesting in place of a value
  fc
    .tuple(
      fc.constantFrom('"customer-1"', '"Berlin"', ':2,', ':1999'),
      fc.integer({ min: 100, max: 5000 }),
      fc.boolean(),
    )
    .map(([at, depth, object]) => validText.replace(at, at.replace(/"[^"]*"|\d+/, nested(depth, object)))),
  // a truncated body, down to an empty one
  fc.integer({ min: 0, max: validText.length - 1 }).map((n) => validText.slice(0, n)),
  // JSON that is not an object
  fc
    .jsonValue()
    .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
    .map((v) => JSON.stringify(v)),
  // a total over the contract's cap, in one line or in many
  fc
    .integer({ min: 11, max: ORDER_LIMITS.maxQuantity })
    .chain((q) =>
      fc
        .integer({ min: Math.floor(ORDER_LIMITS.maxTotalCents / q) + 1, max: ORDER_LIMITS.maxUnitPriceCents })
        .map((p) => [q, p]),
    )
    .map(([quantity, unitPriceCents]) => validWith('items', [{ sku: 'A', quantity, unitPriceCents }])),
  fc.integer({ min: 11, max: 100 }).map((n) =>
    validWith(
      'items',
      Array.from({ length: n }, () => ({ sku: 'A', quantity: 1, unitPriceCents: ORDER_LIMITS.maxUnitPriceCents })),
    ),
  ),
  // the first kind behind a byte order mark
  fc
    .tuple(fc.constantFrom(...FIELDS), badValue)
    .map(([path, value]) => Buffer.concat([BOM, Buffer.from(validWith(path, value))])),
);

/** A 4xx says what is wrong: a 400 names each field at fault, and nothing echoes personal data. */
const explained = (res: request.Response) => {
  const { statusCode, message, errors } = res.body ?? {};
  if (statusCode !== res.status || typeof message !== 'string' || message === '' || PERSONAL.test(res.text))
    return false;
  if (res.status !== 400) return true;
  const named = (e: { field?: unknown; message?: unknown }) =>
    typeof e.field === 'string' && e.field !== '' && typeof e.message === 'string' && e.message !== '';
  return Array.isArray(errors) && errors.length > 0 && errors.every(named);
};

describe('POST /orders under generated bad bodies (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;

  const counts = async () =>
    (
      await app
        .get(DataSource)
        .query('SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM outbox)::int AS outbox')
    )[0];

  beforeAll(async () => {
    db = await createTestDatabase('orders_fuzz_it');
    app = await createOrderServiceApp(loadOrderServiceConfig({ ...db.env, OUTBOX_RELAY: 'off' }), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('never answers 5xx, explains every 4xx, and writes nothing', async () => {
    const before = await counts();
    const statuses: Record<number, number> = {};
    let sent = 0;
    const check = fc.asyncProperty(badBodies, async (body) => {
      const res = await request(app.getHttpServer())
        .post('/orders')
        .set('content-type', 'application/json')
        .serialize((b: Buffer) => b as unknown as string)
        .send(Buffer.from(body));
      sent += 1;
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      return res.status >= 400 && res.status < 500 && explained(res);
    });
    const serverErrors = () =>
      Object.entries(statuses)
        .filter(([s]) => Number(s) >= 500)
        .reduce((n, [, c]) => n + c, 0);
    try {
      await fc.assert(check, { numRuns: 1000 });
    } catch (err) {
      throw new Error(`${serverErrors()} of ${sent} bodies answered 5xx; ${(err as Error).message}`);
    }
    console.log(
      `POST /orders fuzz: ${sent} bad bodies, ${serverErrors()} answered 5xx; by status ${JSON.stringify(statuses)}`,
    );
    expect({ sent, serverErrors: serverErrors() }).toEqual({ sent: 1000, serverErrors: 0 });
    expect(await counts()).toEqual(before);
  });
});
