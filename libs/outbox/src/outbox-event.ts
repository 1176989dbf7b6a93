/**
 * What the outbox stores and publishes. It mirrors the project's envelope
 * structurally, so this library needs nothing from the rest of the repository.
 */
export interface OutboxEvent {
  /** Unique event id (uuid); also the Kafka `id` header and the dedup key of consumers. */
  id: string;
  /** Versioned type, e.g. `order.placed.v1`. */
  type: string;
  /** Selects the topic (`outbox.event.<aggregateType>` by default). */
  aggregateType: string;
  /** Kafka message key: events of one aggregate share a partition, hence an order. */
  aggregateId: string;
  /** ISO-8601 timestamp of the business fact. */
  occurredAt: string;
  correlationId?: string;
  causationId?: string;
  data: unknown;
}

/** Extra Kafka headers stored with the row, e.g. a W3C `traceparent`. */
export type OutboxHeaders = Record<string, string>;
