import { Order } from './domain/order';

/** What the API returns for an order; the contact address is not echoed back. */
export const toOrderResponse = (o: Order) => ({
  id: o.id,
  customerId: o.customerId,
  status: o.status,
  items: o.lines,
  totalCents: o.totalCents,
  currency: o.currency,
  shippingAddress: o.shippingAddress,
  placedAt: o.placedAt.toISOString(),
  cancelledAt: o.cancelledAt?.toISOString() ?? null,
  cancelReason: o.cancelReason,
  dispatchedAt: o.dispatchedAt?.toISOString() ?? null,
});
