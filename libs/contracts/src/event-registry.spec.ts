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

  it('rejects envelopes without an id or with smuggled keys', () => {
    const noId = clone();
    delete (noId as Partial<typeof fixture>).id;
    expect(() => parseEventData(noId)).toThrow();
    const proto = JSON.parse(
      JSON.stringify(fixture).replace('"customerId"', '"__proto__":{"admin":true},"customerId"'),
    );
    expect(() => parseEventData(proto)).toThrow();
  });
});
