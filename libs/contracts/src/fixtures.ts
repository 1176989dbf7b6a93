import orderCancelledV1Fixture from '../fixtures/order.cancelled.v1.json';
import orderPlacedV1Fixture from '../fixtures/order.placed.v1.json';
import shipmentDispatchedV1Fixture from '../fixtures/shipment.dispatched.v1.json';
import { EventEnvelope } from './envelope/event-envelope';
import { OrderCancelledV1 } from './orders/order-cancelled.v1';
import { OrderPlacedV1 } from './orders/order-placed.v1';
import { ShipmentDispatchedV1 } from './shipments/shipment-dispatched.v1';

/** Golden examples of each event as it travels on the wire, for producer and consumer tests. */
export const fixtures = {
  orderPlacedV1: orderPlacedV1Fixture as EventEnvelope<OrderPlacedV1, 'order.placed.v1'>,
  orderCancelledV1: orderCancelledV1Fixture as EventEnvelope<OrderCancelledV1, 'order.cancelled.v1'>,
  shipmentDispatchedV1: shipmentDispatchedV1Fixture as EventEnvelope<ShipmentDispatchedV1, 'shipment.dispatched.v1'>,
};
