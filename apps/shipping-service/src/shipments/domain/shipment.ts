import { randomUUID } from 'node:crypto';

export type ShipmentStatus = 'SCHEDULED' | 'DISPATCHED' | 'CANCELLED';

export interface Shipment {
  id: string;
  orderId: string;
  status: ShipmentStatus;
  itemCount: number;
  shippingAddress: Record<string, string>;
  carrier: string | null;
  trackingNumber: string | null;
  dispatchedAt: Date | null;
  cancelledAt: Date | null;
}

export class ShipmentRuleError extends Error {}

export type ShipmentDomainEvent = { kind: 'ShipmentDispatched'; shipment: Shipment };

export function scheduleShipment(
  orderId: string,
  itemCount: number,
  shippingAddress: Record<string, string>,
): Shipment {
  return {
    id: randomUUID(),
    orderId,
    status: 'SCHEDULED',
    itemCount,
    shippingAddress,
    carrier: null,
    trackingNumber: null,
    dispatchedAt: null,
    cancelledAt: null,
  };
}

/**
 * The cancellation of an order whose placement has not arrived yet: a tombstone, so the
 * late placement schedules nothing (events on different topics may arrive in any order).
 */
export function cancelledBeforeScheduled(orderId: string, now = new Date()): Shipment {
  return { ...scheduleShipment(orderId, 0, {}), status: 'CANCELLED', cancelledAt: now };
}

/**
 * The carrier in capitals, cut to 20 code units: capitals can be longer (ß → SS), and the
 * tracking number must stay within the contract's 50; a cut through a surrogate pair is undone.
 */
function trackingPrefix(carrier: string): string {
  const prefix = carrier.toUpperCase().slice(0, 20);
  return prefix.isWellFormed() ? prefix : prefix.slice(0, -1);
}

/** A cancelled shipment is never dispatched; a dispatched one stays dispatched. */
export function dispatchShipment(
  shipment: Shipment,
  carrier: string,
  now = new Date(),
): { shipment: Shipment; events: ShipmentDomainEvent[] } {
  if (shipment.status !== 'SCHEDULED')
    throw new ShipmentRuleError(`a ${shipment.status} shipment cannot be dispatched`);
  const dispatched: Shipment = {
    ...shipment,
    status: 'DISPATCHED',
    carrier,
    trackingNumber: `${trackingPrefix(carrier)}-${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`,
    dispatchedAt: now,
  };
  return { shipment: dispatched, events: [{ kind: 'ShipmentDispatched', shipment: dispatched }] };
}

/** Cancels a scheduled shipment; reports whether anything changed. */
export function cancelShipment(shipment: Shipment, now = new Date()): Shipment {
  return shipment.status === 'SCHEDULED' ? { ...shipment, status: 'CANCELLED', cancelledAt: now } : shipment;
}
