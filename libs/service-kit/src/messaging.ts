import type { InboxBroker } from '@transactional-outbox/inbox';
import { KafkaInboxBroker } from '@transactional-outbox/inbox/kafkajs';
import { RabbitMqInboxBroker } from '@transactional-outbox/inbox/rabbitmq';
import type { OutboxPublisher } from '@transactional-outbox/outbox';
import { ConfluentKafkaPublisher } from '@transactional-outbox/outbox/confluent';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { RabbitMqPublisher } from '@transactional-outbox/outbox/rabbitmq';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { BrokerConfig } from './load-config';

/** Kafka-only tuning of a consumer; RabbitMQ keeps one queue's messages in order by itself. */
export interface KafkaConsumerTuning {
  partitionsConsumedConcurrently?: number;
}

export type KafkaBrokerConfig = Extract<BrokerConfig, { BROKER: 'kafka' }>;

/** Every Kafka client of a service logs in as the service's user. */
export const kafkaClientConfig = (config: KafkaBrokerConfig, clientId: string): KafkaConfig => ({
  clientId,
  brokers: config.KAFKA_BROKERS,
  ssl: config.KAFKA_SSL,
  sasl: {
    mechanism: config.KAFKA_SASL_MECHANISM,
    username: config.KAFKA_SASL_USERNAME,
    password: config.KAFKA_SASL_PASSWORD,
  } as SASLOptions,
});

/**
 * On RabbitMQ the services declare nothing: infra (or a deploy step) declares the exchanges and
 * queues with an admin user, and each service's user may only write its own exchange and dead
 * letters and read its own queues (no `configure`: it could delete them).
 */
const PASSIVE = { declareTopology: false } as const;

/**
 * The one place a service's outbox publisher and inbox broker are built for the broker its
 * configuration names (and, on Kafka, the publisher for the client KAFKA_CLIENT names). On RabbitMQ a topic is an exchange of the same name, and the inbox
 * reads its own queue `<exchange>.<consumer>` bound to it.
 */
export function messagingFor(config: BrokerConfig, clientId: string) {
  return {
    publisher(): OutboxPublisher {
      if (config.BROKER === 'rabbitmq') return new RabbitMqPublisher(config.RABBITMQ_URL, {}, PASSIVE);
      const client = kafkaClientConfig(config, clientId);
      if (config.KAFKA_CLIENT === 'confluent') return new ConfluentKafkaPublisher({ kafkaJS: client });
      return new KafkaJsPublisher(client);
    },
    inboxBroker(topics: readonly string[], kafka: KafkaConsumerTuning = {}): InboxBroker {
      if (config.BROKER === 'rabbitmq')
        return new RabbitMqInboxBroker({ url: config.RABBITMQ_URL, exchanges: [...topics], ...PASSIVE });
      return new KafkaInboxBroker({
        kafka: kafkaClientConfig(config, clientId),
        topics: [...topics],
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        ...kafka,
      });
    },
  };
}
