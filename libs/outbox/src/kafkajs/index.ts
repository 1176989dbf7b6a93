export { KafkaJsPublisher, outboxProducerConfig } from './kafkajs-publisher';
export { isRecordError } from './record-errors';
