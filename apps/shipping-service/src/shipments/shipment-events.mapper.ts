import { randomUUID } from 'node:crypto';
import { EventEnvelope, shipmentDispatchedV1, ShipmentDispatchedV1 } from '@shop/contracts';
import { ShipmentDomainEvent } from './domain/shipment';

/** The one place where shipment domain events become contract events. */
export function toIntegrationEvent(
  event: ShipmentDomainEvent,
  meta: { correlationId?: string; causationId?: string },
): EventEnvelope<ShipmentDispatchedV1> {
  const { shipment } = event;
  const at = (shipment.dispatchedAt ?? new Date()).toISOString();
  return {
    id: randomUUID(),
    type: shipmentDispatchedV1.type,
    aggregateType: shipmentDispatchedV1.aggregateType,
    aggregateId: shipment.id,
    occurredAt: at,
    correlationId: meta.correlationId,
    causationId: meta.causationId,
    data: shipmentDispatchedV1.schema.parse({
      shipmentId: shipment.id,
      orderId: shipment.orderId,
      carrier: shipment.carrier,
      trackingNumber: shipment.trackingNumber,
      dispatchedAt: at,
    }),
  };
}
