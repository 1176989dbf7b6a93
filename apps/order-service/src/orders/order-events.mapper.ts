import { randomUUID } from 'node:crypto';
import { EventEnvelope, orderCancelledV1, OrderCancelledV1, orderPlacedV1, OrderPlacedV1 } from '@shop/contracts';
import { OrderDomainEvent } from './domain/order';

export interface EventMetadata {
  correlationId: string;
  causationId?: string;
}

type OrderIntegrationEvent = EventEnvelope<OrderPlacedV1> | EventEnvelope<OrderCancelledV1>;

/** The one place where domain events become contract (integration) events. */
export function toIntegrationEvent(event: OrderDomainEvent, meta: EventMetadata): OrderIntegrationEvent {
  const { order } = event;
  const envelope = (type: string, occurredAt: Date) => ({
    id: randomUUID(),
    type,
    aggregateType: orderPlacedV1.aggregateType,
    aggregateId: order.id,
    occurredAt: occurredAt.toISOString(),
    correlationId: meta.correlationId,
    causationId: meta.causationId,
  });
  switch (event.kind) {
    case 'OrderPlaced':
      return {
        ...envelope(orderPlacedV1.type, order.placedAt),
        data: orderPlacedV1.schema.parse({
          orderId: order.id,
          customerId: order.customerId,
          contactEmail: order.contactEmail,
          items: order.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceCents: l.unitPriceCents })),
          totalCents: order.totalCents,
          currency: order.currency,
          shippingAddress: order.shippingAddress,
          placedAt: order.placedAt.toISOString(),
        }),
      };
    case 'OrderCancelled': {
      const at = order.cancelledAt ?? new Date();
      return {
        ...envelope(orderCancelledV1.type, at),
        data: orderCancelledV1.schema.parse({
          orderId: order.id,
          customerId: order.customerId,
          contactEmail: order.contactEmail,
          reason: order.cancelReason ?? 'cancelled',
          cancelledAt: at.toISOString(),
        }),
      };
    }
  }
}
