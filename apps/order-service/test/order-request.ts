import { PlaceOrderRequest } from '../src/orders/place-order/place-order.request';

/** A valid POST /orders body for the service's tests; `overrides` replace whole fields. */
export const orderRequest = (overrides: Partial<PlaceOrderRequest> = {}) => ({
  customerId: 'customer-1',
  contactEmail: 'ada@example.com',
  items: [{ sku: 'BOOK-42', quantity: 2, unitPriceCents: 1999 }],
  shippingAddress: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  ...overrides,
});
