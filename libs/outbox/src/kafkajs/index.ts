export { KafkaJsPublisher, outboxProducerConfig } from './kafkajs-publisher';
export { isProducerStateError, isRecordError } from '../kafka/record-errors';
