// The RabbitMQ (amqplib) adapter of the inbox's ports.
export { RabbitMqInboxBroker } from './rabbitmq-inbox-broker';
export type { RabbitMqInboxBrokerOptions } from './rabbitmq-inbox-broker';
export { RabbitMqInboxSource } from './rabbitmq-inbox-source';
export type { RabbitMqInboxSourceOptions } from './rabbitmq-inbox-source';
export { RabbitMqDeadLetterSink } from './rabbitmq-dead-letter-sink';
export { declareDeadLetterQueue, declareInboxQueue, defaultQueueFor, inboxQueueTopology } from './topology';
export type { InboxQueueSettings, InboxQueueTopology } from './topology';
