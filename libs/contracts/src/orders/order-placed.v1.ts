import { z } from 'zod';
import { defineEvent, EventData } from '../envelope/event-contract';
import { plainText } from '../plain-text';
import { ORDER_AGGREGATE, ORDER_EVENTS_TOPIC } from '../topics';

/**
 * The bounds of an order, for this contract and for order-service's request validation
 * alike, so that a request it accepts always makes an event the contract accepts.
 */
export const ORDER_LIMITS = {
  maxItems: 100,
  maxQuantity: 1000,
  /** Taken by the request; the contract bounds a unit price only by the total. */
  maxUnitPriceCents: 10_000_000,
  maxTotalCents: 100_000_000,
} as const;

const cents = z.number().int().nonnegative().max(ORDER_LIMITS.maxTotalCents);

export const orderPlacedV1 = defineEvent({
  type: 'order.placed.v1',
  producer: 'order-service',
  topic: ORDER_EVENTS_TOPIC,
  aggregateType: ORDER_AGGREGATE,
  aggregateIdIn: 'orderId',
  schema: z.object({
    orderId: z.uuid(),
    customerId: plainText.min(1).max(100),
    contactEmail: z.email(),
    items: z
      .array(
        z.object({
          sku: plainText.min(1).max(64),
          quantity: z.number().int().positive().max(ORDER_LIMITS.maxQuantity),
          unitPriceCents: cents,
        }),
      )
      .min(1)
      .max(ORDER_LIMITS.maxItems),
    totalCents: cents,
    currency: z.string().length(3),
    shippingAddress: z.object({
      line1: plainText.min(1).max(200),
      line2: plainText.max(200).optional(),
      city: plainText.min(1).max(100),
      postalCode: plainText.min(1).max(20),
      country: z.string().length(2),
    }),
    placedAt: z.iso.datetime({ offset: true }),
  }),
});

export type OrderPlacedV1 = EventData<typeof orderPlacedV1>;
