import { z } from 'zod';
import {
  envSchemas,
  failpointSchema,
  loadConfig,
  relayModeSchema,
  relayShardsRule,
  relayShardsSchema,
} from '@shop/service-kit';

const schema = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: envSchemas.port(3002),
    // The inbox consumer's name on either broker: its Kafka group, or its RabbitMQ queues' suffix.
    KAFKA_CONSUMER_GROUP: z.string().min(1).default('shipping-service'),
    ...envSchemas.database,
    // The bearer token of operator routes (listing, dispatching, cancelling): OperatorGuard.
    ...envSchemas.operator,
    // polling | logical | debezium: how the outbox reaches the broker (see relayModeSchema).
    RELAY_MODE: relayModeSchema,
    // The polling relay's shards, shared by this service's replicas (libs/outbox README, "Shards").
    OUTBOX_RELAY_SHARDS: relayShardsSchema,
    FAILPOINT: failpointSchema(['inbox-after-commit', 'relay-after-publish']),
  })
  .and(envSchemas.broker)
  .refine(...relayShardsRule);

export type ShippingServiceConfig = z.infer<typeof schema>;
export const loadShippingServiceConfig = (env = process.env) => loadConfig(schema, env);
