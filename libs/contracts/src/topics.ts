/**
 * One topic per aggregate type, named the way Debezium's Outbox Event Router names them
 * by default (`outbox.event.<aggregatetype>`), so either relay publishes to the same place.
 */
export const ORDER_AGGREGATE = 'order';
export const ORDER_EVENTS_TOPIC = `outbox.event.${ORDER_AGGREGATE}`;
export const SHIPMENT_AGGREGATE = 'shipment';
export const SHIPMENT_EVENTS_TOPIC = `outbox.event.${SHIPMENT_AGGREGATE}`;
