import { z } from 'zod';
import { defineEvent, EventData } from '../envelope/event-contract';
import { ORDER_AGGREGATE, ORDER_EVENTS_TOPIC } from '../topics';

const cents = z.number().int().nonnegative().max(100_000_000);

export const orderPlacedV1 = defineEvent({
  type: 'order.placed.v1',
  topic: ORDER_EVENTS_TOPIC,
  aggregateType: ORDER_AGGREGATE,
  schema: z.strictObject({
    orderId: z.uuid(),
    customerId: z.string().min(1).max(100),
    contactEmail: z.email(),
    items: z
      .array(
        z.strictObject({
          sku: z.string().min(1).max(64),
          quantity: z.number().int().positive().max(1000),
          unitPriceCents: cents,
        }),
      )
      .min(1)
      .max(100),
    totalCents: cents,
    currency: z.string().length(3),
    shippingAddress: z.strictObject({
      line1: z.string().min(1).max(200),
      line2: z.string().max(200).optional(),
      city: z.string().min(1).max(100),
      postalCode: z.string().min(1).max(20),
      country: z.string().length(2),
    }),
    placedAt: z.iso.datetime({ offset: true }),
  }),
});

export type OrderPlacedV1 = EventData<typeof orderPlacedV1>;
