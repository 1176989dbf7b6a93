import { randomUUID } from 'node:crypto';

export type OrderStatus = 'PLACED' | 'DISPATCHED' | 'CANCELLED';

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface ShippingAddress {
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  country: string;
}

export interface Order {
  id: string;
  customerId: string;
  contactEmail: string;
  status: OrderStatus;
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  shippingAddress: ShippingAddress;
  placedAt: Date;
  cancelledAt: Date | null;
  cancelReason: string | null;
  dispatchedAt: Date | null;
}

/** Domain events: facts inside this service, mapped to contract events in one place. */
export type OrderDomainEvent = { kind: 'OrderPlaced'; order: Order } | { kind: 'OrderCancelled'; order: Order };

export type PlaceOrderInput = Pick<Order, 'customerId' | 'contactEmail' | 'lines' | 'currency' | 'shippingAddress'>;

export class OrderRuleError extends Error {}

export const totalCents = (lines: readonly OrderLine[]) =>
  lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);

/** Placing an order returns the order and the events it raised; nothing is published here. */
export function placeOrder(input: PlaceOrderInput, now = new Date()): { order: Order; events: OrderDomainEvent[] } {
  const order: Order = {
    ...input,
    id: randomUUID(),
    status: 'PLACED',
    totalCents: totalCents(input.lines),
    placedAt: now,
    cancelledAt: null,
    cancelReason: null,
    dispatchedAt: null,
  };
  return { order, events: [{ kind: 'OrderPlaced', order }] };
}

/** Only an order whose shipment has not been dispatched can be cancelled. */
export function cancelOrder(
  order: Order,
  reason: string,
  now = new Date(),
): { order: Order; events: OrderDomainEvent[] } {
  if (order.status !== 'PLACED') throw new OrderRuleError(`an order that is ${order.status} cannot be cancelled`);
  const cancelled: Order = { ...order, status: 'CANCELLED', cancelledAt: now, cancelReason: reason };
  return { order: cancelled, events: [{ kind: 'OrderCancelled', order: cancelled }] };
}

/**
 * Shipping reports the dispatch. A cancelled order stays cancelled: shipping refuses to
 * dispatch once it has seen the cancellation, so this only happens when the two crossed.
 */
export function recordDispatch(order: Order, at: Date): Order {
  return order.status === 'PLACED' ? { ...order, status: 'DISPATCHED', dispatchedAt: at } : order;
}
