import orderPlacedV1Fixture from '../fixtures/order.placed.v1.json';
import { EventEnvelope } from './envelope/event-envelope';
import { OrderPlacedV1 } from './orders/order-placed.v1';

/** Golden examples of each event as it travels on the wire, for producer and consumer tests. */
export const fixtures = {
  orderPlacedV1: orderPlacedV1Fixture as EventEnvelope<OrderPlacedV1, 'order.placed.v1'>,
};
