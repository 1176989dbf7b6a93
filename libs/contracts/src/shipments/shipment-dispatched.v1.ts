import { z } from 'zod';
import { defineEvent, EventData } from '../envelope/event-contract';
import { plainText } from '../plain-text';
import { SHIPMENT_AGGREGATE, SHIPMENT_EVENTS_TOPIC } from '../topics';

export const shipmentDispatchedV1 = defineEvent({
  type: 'shipment.dispatched.v1',
  producer: 'shipping-service',
  topic: SHIPMENT_EVENTS_TOPIC,
  aggregateType: SHIPMENT_AGGREGATE,
  aggregateIdIn: 'shipmentId',
  schema: z.object({
    shipmentId: z.uuid(),
    orderId: z.uuid(),
    carrier: plainText.min(1).max(50),
    trackingNumber: plainText.min(1).max(50),
    dispatchedAt: z.iso.datetime({ offset: true }),
  }),
});

export type ShipmentDispatchedV1 = EventData<typeof shipmentDispatchedV1>;
