export { ConfluentKafkaPublisher, confluentProducerConfig } from './confluent-publisher';
export { CONFLUENT_PACKAGE, loadConfluentKafka } from './confluent-client';
export type { ConfluentClientConfig, ConfluentKafka, ConfluentMessage, ConfluentProducer } from './confluent-client';
export { isProducerStateError, isRecordError } from '../kafka/record-errors';
