import { Order } from './domain/order';

export const toOrderResponse = (o: Order) => ({
  id: o.id,
  customerId: o.customerId,
  status: o.status,
  items: o.lines,
  totalCents: o.totalCents,
  currency: o.currency,
  shippingAddress: o.shippingAddress,
  placedAt: o.placedAt.toISOString(),
});
