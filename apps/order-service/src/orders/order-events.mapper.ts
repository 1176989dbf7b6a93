import { randomUUID } from 'node:crypto';
import { EventEnvelope, orderPlacedV1, OrderPlacedV1 } from '@shop/contracts';
import { OrderDomainEvent } from './domain/order';

export interface EventMetadata {
  correlationId: string;
  causationId?: string;
}

/** The one place where domain events become contract (integration) events. */
export function toIntegrationEvent(event: OrderDomainEvent, meta: EventMetadata): EventEnvelope<OrderPlacedV1> {
  switch (event.kind) {
    case 'OrderPlaced': {
      const { order } = event;
      const data: OrderPlacedV1 = {
        orderId: order.id,
        customerId: order.customerId,
        contactEmail: order.contactEmail,
        items: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceCents: l.unitPriceCents })),
        totalCents: order.totalCents,
        currency: order.currency,
        shippingAddress: order.shippingAddress,
        placedAt: order.placedAt.toISOString(),
      };
      return {
        id: randomUUID(),
        type: orderPlacedV1.type,
        aggregateType: orderPlacedV1.aggregateType,
        aggregateId: order.id,
        occurredAt: order.placedAt.toISOString(),
        correlationId: meta.correlationId,
        causationId: meta.causationId,
        data: orderPlacedV1.schema.parse(data),
      };
    }
  }
}
