import { z } from 'zod';
import { envSchemas, failpointSchema, loadConfig } from '@shop/service-kit';

const schema = z
  .object({
    HOST: z.string().default('127.0.0.1'),
    PORT: envSchemas.port(3003),
    // The inbox consumer's name on either broker: its Kafka group, or its RabbitMQ queues' suffix.
    KAFKA_CONSUMER_GROUP: z.string().min(1).default('email-service'),
    ...envSchemas.database,
    // The bearer token of operator routes (listing, dispatching, cancelling): OperatorGuard.
    ...envSchemas.operator,
    FAILPOINT: failpointSchema(['inbox-after-commit', 'email-after-send']),
    SMTP_HOST: z.string().min(1).default('127.0.0.1'),
    SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(1025),
    SMTP_SECURE: z.stringbool().default(false),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    MAIL_FROM: z.email().default('shop@outbox-reference.local'),
    /** Right-hand side of generated Message-IDs. */
    MAIL_MESSAGE_ID_DOMAIN: z
      .string()
      .regex(/^[a-z0-9.-]+$/i)
      .default('outbox-reference.local'),
    EMAIL_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** Emails sent at once, each over its own pooled SMTP connection and database transaction. */
    EMAIL_SEND_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(4),
    /**
     * How long a sender holds an email it is sending. An email whose sender died is sent
     * again after this; a sender that cannot record SENT keeps retrying for most of it.
     */
    EMAIL_SEND_LEASE_MS: z.coerce.number().int().min(2000).max(3_600_000).default(60_000),
  })
  .and(envSchemas.broker);

export type EmailServiceConfig = z.infer<typeof schema>;
export const loadEmailServiceConfig = (env = process.env) => loadConfig(schema, env);
