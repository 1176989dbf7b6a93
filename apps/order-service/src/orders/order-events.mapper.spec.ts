import { parseEventData } from '@shop/contracts';
import { placeOrder } from './domain/order';
import { toIntegrationEvent } from './order-events.mapper';

const input = {
  customerId: 'customer-1',
  contactEmail: 'ada@example.com',
  currency: 'EUR',
  lines: [
    { sku: 'BOOK-42', quantity: 2, unitPriceCents: 1999 },
    { sku: 'MUG-7', quantity: 3, unitPriceCents: 899 },
  ],
  shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
};

describe('placing an order', () => {
  it('totals the lines in cents and raises OrderPlaced', () => {
    const { order, events } = placeOrder(input, new Date('2026-11-27T10:00:00Z'));
    expect(order.totalCents).toBe(2 * 1999 + 3 * 899);
    expect(order.status).toBe('PLACED');
    expect(events).toEqual([{ kind: 'OrderPlaced', order }]);
  });

  it('maps OrderPlaced to an order.placed.v1 envelope that satisfies the contract', () => {
    const { order, events } = placeOrder(input, new Date('2026-11-27T10:00:00Z'));
    const envelope = toIntegrationEvent(events[0], { correlationId: 'corr-1' });
    expect(envelope).toMatchObject({
      type: 'order.placed.v1',
      aggregateType: 'order',
      aggregateId: order.id,
      occurredAt: '2026-11-27T10:00:00.000Z',
      correlationId: 'corr-1',
    });
    expect(parseEventData(envelope)).toMatchObject({ orderId: order.id, totalCents: order.totalCents });
  });
});
