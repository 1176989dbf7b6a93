import { InboxBroker } from '../ports';
import { RabbitMqDeadLetterSink } from './rabbitmq-dead-letter-sink';
import { RabbitMqInboxSource, RabbitMqInboxSourceOptions } from './rabbitmq-inbox-source';

export type RabbitMqInboxBrokerOptions = RabbitMqInboxSourceOptions;

/**
 * Both inbox ports on one RabbitMQ node or cluster: pass it as `broker` to `InboxServer`
 * (`/nest`) or `Inbox`. The consumer's queues are named from the inbox's consumer name.
 */
export class RabbitMqInboxBroker implements InboxBroker {
  readonly source: RabbitMqInboxSource;
  readonly deadLetters: RabbitMqDeadLetterSink;

  constructor(options: RabbitMqInboxBrokerOptions) {
    this.source = new RabbitMqInboxSource(options);
    this.deadLetters = new RabbitMqDeadLetterSink(options.url, { declareTopology: options.declareTopology });
  }
}
