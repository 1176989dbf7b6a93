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
    PORT: envSchemas.port(3001),
    // The inbox consumer's name on either broker: its Kafka group, or its RabbitMQ queues' suffix.
    KAFKA_CONSUMER_GROUP: z.string().min(1).default('order-service'),
    ...envSchemas.database,
    // The bearer token of operator routes (listing, dispatching, cancelling): OperatorGuard.
    ...envSchemas.operator,
    // polling | logical | debezium: how the outbox reaches the broker (see relayModeSchema).
    RELAY_MODE: relayModeSchema,
    // The polling relay's shards, shared by this service's replicas (libs/outbox README, "Shards").
    OUTBOX_RELAY_SHARDS: relayShardsSchema,
    // off: this process neither relays nor NOTIFYs (a benchmark's baseline).
    OUTBOX_RELAY: z.enum(['on', 'off']).default('on'),
    OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
    OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5000).default(500),
    FAILPOINT: failpointSchema(['relay-after-claim', 'relay-after-publish', 'inbox-after-commit']),
    HTTP_BODY_LIMIT: z
      .string()
      .regex(/^\d+(kb|mb)$/)
      .default('64kb'),
    // DEMO ONLY: mounts POST /demo/naive-orders, the dual write without an outbox (npm run drill).
    DEMO_NAIVE_DUAL_WRITE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  })
  .and(envSchemas.broker)
  .refine(...relayShardsRule)
  .refine((c) => !c.DEMO_NAIVE_DUAL_WRITE || c.BROKER === 'kafka', {
    path: ['DEMO_NAIVE_DUAL_WRITE'],
    message: 'needs BROKER=kafka: the naive dual write publishes with kafkajs',
  });

export type OrderServiceConfig = z.infer<typeof schema>;
export const loadOrderServiceConfig = (env = process.env) => loadConfig(schema, env);
