import { randomUUID } from 'node:crypto';

export type OrderStatus = 'PLACED';

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
}

/** Domain events: facts inside this service, mapped to contract events in one place. */
export interface OrderPlaced {
  kind: 'OrderPlaced';
  order: Order;
}
export type OrderDomainEvent = OrderPlaced;

export type PlaceOrderInput = Pick<Order, 'customerId' | 'contactEmail' | 'lines' | 'currency' | 'shippingAddress'>;

/** Placing an order returns the order and the events it raised; nothing is published here. */
export function placeOrder(input: PlaceOrderInput, now = new Date()): { order: Order; events: OrderDomainEvent[] } {
  const order: Order = {
    ...input,
    id: randomUUID(),
    status: 'PLACED',
    totalCents: input.lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0),
    placedAt: now,
  };
  return { order, events: [{ kind: 'OrderPlaced', order }] };
}
