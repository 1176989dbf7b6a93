import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { InboxBroker } from '../ports';
import { KafkaDeadLetterSink } from './kafka-dead-letter-sink';
import { KafkaInboxSource, KafkaInboxSourceOptions } from './kafka-inbox-source';

export interface KafkaInboxBrokerOptions extends KafkaInboxSourceOptions {
  /** An existing kafkajs client, or the configuration of a new one (log level WARN unless set). */
  kafka: Kafka | KafkaConfig;
}

/** Bounds each lag request, on the client this adapter makes for it. */
const LAG_REQUEST_TIMEOUT_MS = 3_000;

const isClient = (kafka: Kafka | KafkaConfig): kafka is Kafka =>
  typeof (kafka as Partial<Kafka>).consumer === 'function' && typeof (kafka as Partial<Kafka>).admin === 'function';

/**
 * Both inbox ports on one Kafka cluster: pass it as `broker` to `InboxServer` (`/nest`) or
 * `Inbox`. The consumer group is the inbox's consumer name unless `groupId` says otherwise.
 */
export class KafkaInboxBroker implements InboxBroker {
  readonly source: KafkaInboxSource;
  readonly deadLetters: KafkaDeadLetterSink;

  constructor({ kafka, ...options }: KafkaInboxBrokerOptions) {
    const client = isClient(kafka) ? kafka : new Kafka({ logLevel: logLevel.WARN, ...kafka });
    // Health checks against an absent broker would fill the log; they report it themselves.
    const lagClient = isClient(kafka)
      ? kafka
      : new Kafka({ logLevel: logLevel.NOTHING, ...kafka, requestTimeout: LAG_REQUEST_TIMEOUT_MS });
    this.source = new KafkaInboxSource(client, options, lagClient);
    this.deadLetters = new KafkaDeadLetterSink(client);
  }
}
