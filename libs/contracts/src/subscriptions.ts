import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from './topics';

/**
 * Who consumes which topic, by inbox consumer name (a service's default name). The services
 * subscribe from it and tools/infra creates the topics and RabbitMQ queues from it, so that
 * a queue exists before the first event is published to its exchange.
 */
export const SUBSCRIPTIONS = {
  'order-service': [SHIPMENT_EVENTS_TOPIC],
  'shipping-service': [ORDER_EVENTS_TOPIC],
  'email-service': [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC],
} as const satisfies Record<string, readonly string[]>;

export type SubscribingService = keyof typeof SUBSCRIPTIONS;
