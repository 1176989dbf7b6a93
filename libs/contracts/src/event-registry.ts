import { z } from 'zod';
import { EventContract } from './envelope/event-contract';
import { eventEnvelopeSchema } from './envelope/event-envelope';
import { orderCancelledV1 } from './orders/order-cancelled.v1';
import { orderPlacedV1 } from './orders/order-placed.v1';
import { shipmentDispatchedV1 } from './shipments/shipment-dispatched.v1';

/** Every event type this system publishes, by wire type. */
export const eventContracts: ReadonlyMap<string, EventContract<string, z.ZodType>> = new Map(
  [orderPlacedV1, orderCancelledV1, shipmentDispatchedV1].map((c) => [c.type, c]),
);

export class UnknownEventTypeError extends Error {
  constructor(type: string) {
    super(`unknown event type "${type}"`);
    this.name = 'UnknownEventTypeError';
  }
}

/** Validates an envelope and its data against the producer's contract; returns the data. */
export function parseEventData(envelope: unknown): unknown {
  const parsed = eventEnvelopeSchema.parse(envelope);
  const contract = eventContracts.get(parsed.type);
  if (!contract) throw new UnknownEventTypeError(parsed.type);
  if (parsed.aggregateType !== contract.aggregateType) {
    throw new Error(`aggregateType: must be "${contract.aggregateType}" for ${contract.type}`);
  }
  const result = contract.schema.safeParse(parsed.data);
  if (!result.success) {
    throw new Error(result.error.issues.map((i) => `data.${i.path.join('.')}: ${i.message}`).join('; '));
  }
  // The key and the handler's data must name the same aggregate.
  if ((result.data as Record<string, unknown>)[contract.aggregateIdIn] !== parsed.aggregateId) {
    throw new Error(`data.${contract.aggregateIdIn}: must be the envelope's aggregateId`);
  }
  return result.data;
}
