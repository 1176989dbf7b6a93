import { z } from 'zod';
import { envSchemas, loadConfig } from '@shop/service-kit';

const url = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/$/, ''));

const schema = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: envSchemas.port(3000),
    // The operator's token: the login form takes it, and the dashboard calls the services with it.
    ...envSchemas.operator,
    ORDER_SERVICE_URL: url.default('http://127.0.0.1:3001'),
    SHIPPING_SERVICE_URL: url.default('http://127.0.0.1:3002'),
    EMAIL_SERVICE_URL: url.default('http://127.0.0.1:3003'),
    // A login lasts this long; sessions live in memory, so a restart ends them all.
    SESSION_TTL_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(120),
    // The trace viewer the operator's browser opens (Zipkin's UI); no trace links when unset.
    ZIPKIN_UI_URL: url.optional(),
    // On RabbitMQ the dashboard reads no topic: the page shows the outbox's publish time instead.
    BROKER: z.enum(['kafka', 'rabbitmq']).default('kafka'),
    // Its own least-privilege Kafka user `dashboard` (read on the event and dead-letter topics).
    KAFKA_BROKERS: z.string().default(''),
    KAFKA_SASL_USERNAME: z.string().default('dashboard'),
    KAFKA_SASL_PASSWORD: z.string().default(''),
  })
  .refine((c) => c.BROKER !== 'kafka' || (c.KAFKA_BROKERS !== '' && c.KAFKA_SASL_PASSWORD !== ''), {
    path: ['KAFKA_BROKERS'],
    message: 'KAFKA_BROKERS and KAFKA_SASL_PASSWORD are required when BROKER=kafka (the default)',
  });

export type DashboardConfig = z.infer<typeof schema>;
export const loadDashboardConfig = (env = process.env) => loadConfig(schema, env);
