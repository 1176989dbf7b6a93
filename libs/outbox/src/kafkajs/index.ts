export { KafkaJsPublisher, outboxProducerConfig } from './kafkajs-publisher';
export { isProducerStateError, isRecordError } from './record-errors';
