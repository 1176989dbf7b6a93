// The kafkajs adapter of the inbox's ports.
export { KafkaInboxBroker } from './kafka-inbox-broker';
export type { KafkaInboxBrokerOptions } from './kafka-inbox-broker';
export { KafkaInboxSource } from './kafka-inbox-source';
export type { KafkaInboxSourceOptions } from './kafka-inbox-source';
export { KafkaDeadLetterSink } from './kafka-dead-letter-sink';
