import { z } from 'zod';
import { envSchemas, failpointSchema, loadConfig } from '@shop/service-kit';

const schema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: envSchemas.port(3002),
  KAFKA_BROKERS: envSchemas.brokers,
  KAFKA_SESSION_TIMEOUT_MS: envSchemas.kafkaSessionTimeoutMs,
  KAFKA_CONSUMER_GROUP: z.string().min(1).default('shipping-service'),
  ...envSchemas.database,
  FAILPOINT: failpointSchema(['inbox-after-commit', 'relay-after-publish']),
});

export type ShippingServiceConfig = z.infer<typeof schema>;
export const loadShippingServiceConfig = (env = process.env) => loadConfig(schema, env);
