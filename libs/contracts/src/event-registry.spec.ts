import { fixtures, orderPlacedV1, parseEventData, UnknownEventTypeError } from './index';

const fixture = fixtures.orderPlacedV1;

const clone = () => JSON.parse(JSON.stringify(fixture)) as typeof fixture & Record<string, unknown>;

describe('event contracts', () => {
  it('accepts the golden order.placed.v1 fixture and returns its data', () => {
    expect(parseEventData(fixture)).toEqual(fixture.data);
    expect(orderPlacedV1.topic).toBe('outbox.event.order');
  });

  it('rejects an unknown type and an unknown version', () => {
    expect(() => parseEventData({ ...clone(), type: 'order.shredded.v1' })).toThrow(UnknownEventTypeError);
    expect(() => parseEventData({ ...clone(), type: 'order.placed.v9' })).toThrow(
      'unknown event type "order.placed.v9"',
    );
  });

  it('names the field at fault when data breaks the contract', () => {
    const bad = clone();
    bad.data.items[0].quantity = -1;
    expect(() => parseEventData(bad)).toThrow(/data\.items\.0\.quantity/);
    const missing = clone();
    delete (missing.data as Partial<typeof fixture.data>).contactEmail;
    expect(() => parseEventData(missing)).toThrow(/data\.contactEmail/);
  });

  it('rejects an envelope whose aggregate type is not its contract’s', () => {
    expect(() => parseEventData({ ...clone(), aggregateType: 'shipment' })).toThrow(
      'aggregateType: must be "order" for order.placed.v1',
    );
  });

  it('rejects data about another aggregate than the envelope’s', () => {
    expect(() => parseEventData({ ...clone(), aggregateId: '9c1e4f7a-2b3d-4c5e-8f90-a1b2c3d4e5f6' })).toThrow(
      "data.orderId: must be the envelope's aggregateId",
    );
    const dispatched = JSON.parse(JSON.stringify(fixtures.shipmentDispatchedV1));
    expect(() => parseEventData({ ...dispatched, aggregateId: dispatched.data.orderId })).toThrow(
      "data.shipmentId: must be the envelope's aggregateId",
    );
  });

  it('rejects an envelope without an id', () => {
    const noId = clone();
    delete (noId as Partial<typeof fixture>).id;
    expect(() => parseEventData(noId)).toThrow(/id/);
  });

  // Tolerant reader: a producer may add an optional field to v1 without breaking consumers.
  it('accepts a v1 event with fields it does not know, on the envelope, in data and nested, and drops them', () => {
    const newer = clone();
    newer.schemaHint = 'added by a newer producer';
    Object.assign(newer.data, { loyaltyPoints: 12 });
    Object.assign(newer.data.items[0], { giftWrap: true });
    Object.assign(newer.data.shippingAddress, { deliveryNotes: 'ring twice' });
    expect(parseEventData(newer)).toEqual(fixture.data);
  });

  it('drops keys that reach for prototypes, and pollutes nothing', () => {
    const smuggled = JSON.parse(
      JSON.stringify(fixture)
        .replace('"customerId"', '"__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}},"customerId"')
        .replace('"line1"', '"__proto__":{"admin":true},"line1"'),
    );
    const data = parseEventData(smuggled) as Record<string, unknown>;
    expect(data).toEqual(fixture.data);
    expect(Object.keys(data)).not.toContain('__proto__');
    expect(Object.keys(data)).not.toContain('constructor');
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(data.shippingAddress)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  const forged: [string, (e: ReturnType<typeof clone>) => void, RegExp][] = [
    ['a NUL in customerId', (e) => (e.data.customerId = 'customer\u0000-42'), /data\.customerId/],
    ['a lone surrogate in a sku', (e) => (e.data.items[1].sku = 'MUG\ud800'), /data\.items\.1\.sku/],
    [
      'a control character in the address',
      (e) => (e.data.shippingAddress.city = 'Ber\u001blin'),
      /data\.shippingAddress\.city/,
    ],
    ['a NUL in the envelope', (e) => (e.correlationId = 'corr\u0000'), /correlationId/],
  ];

  it.each(forged)('refuses a forged event with %s', (_name, forge, field) => {
    const event = clone();
    forge(event);
    expect(() => parseEventData(event)).toThrow(field);
  });

  it('refuses bad text in the other contracts too', () => {
    const cancelled = JSON.parse(JSON.stringify(fixtures.orderCancelledV1));
    cancelled.data.reason = 'changed\u0000 mind';
    expect(() => parseEventData(cancelled)).toThrow(/data\.reason/);
    const dispatched = JSON.parse(JSON.stringify(fixtures.shipmentDispatchedV1));
    dispatched.data.carrier = '\udc00DHL';
    expect(() => parseEventData(dispatched)).toThrow(/data\.carrier/);
  });
});
