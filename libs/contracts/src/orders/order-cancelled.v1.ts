import { z } from 'zod';
import { defineEvent, EventData } from '../envelope/event-contract';
import { plainText } from '../plain-text';
import { ORDER_AGGREGATE, ORDER_EVENTS_TOPIC } from '../topics';

export const orderCancelledV1 = defineEvent({
  type: 'order.cancelled.v1',
  producer: 'order-service',
  topic: ORDER_EVENTS_TOPIC,
  aggregateType: ORDER_AGGREGATE,
  aggregateIdIn: 'orderId',
  schema: z.object({
    orderId: z.uuid(),
    customerId: plainText.min(1).max(100),
    /** Consumers that notify the customer need the address; it is never logged. */
    contactEmail: z.email(),
    reason: plainText.min(1).max(200),
    cancelledAt: z.iso.datetime({ offset: true }),
  }),
});

export type OrderCancelledV1 = EventData<typeof orderCancelledV1>;
