import { loadConfluentKafka } from '@transactional-outbox/outbox/confluent';
import { z } from 'zod';
import { operatorTokenSchema } from './operator-auth';

export class ConfigError extends Error {
  constructor(issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment once at start; names every variable at fault. */
export function loadConfig<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  return result.data;
}

const kafkaBrokers = z
  .string({ error: 'required when BROKER=kafka (the default): host:port[,host:port…]' })
  .min(1)
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1));

/**
 * The service's own Kafka user (SASL/SCRAM): the broker authorises it by ACLs, so each
 * service can write only the topic it owns. TLS is KAFKA_SSL=true (CAs: Node's, plus
 * NODE_EXTRA_CA_CERTS); the project's broker listens on loopback without it.
 */
const kafkaAuth = {
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256']).default('scram-sha-512'),
  KAFKA_SASL_USERNAME: z.string({ error: "required when BROKER=kafka: the service's Kafka user" }).min(1),
  KAFKA_SASL_PASSWORD: z.string({ error: "required when BROKER=kafka: the Kafka user's password" }).min(1),
  KAFKA_SSL: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
};

/**
 * The consumer group's session timeout: how long a crashed consumer's partitions wait
 * before another member takes them. Handlers heartbeat while they run, so it can be short.
 */
const kafkaSessionTimeoutMs = z.coerce.number().int().min(6000).max(300_000).default(10_000);

/**
 * The Kafka client the outbox relay publishes with: kafkajs, or librdkafka through
 * `@confluentinc/kafka-javascript` (an optional dependency with a native part, so checked
 * at start). The inbox consumers read with kafkajs either way.
 */
const kafkaClient = z
  .enum(['kafkajs', 'confluent'], { error: 'must be kafkajs or confluent' })
  .default('kafkajs')
  .superRefine((client, ctx) => {
    if (client !== 'confluent') return;
    try {
      loadConfluentKafka();
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });

/**
 * Which broker the outbox publishes to and the inbox consumes from. Each broker's settings are
 * required only when it is the one chosen; BROKER defaults to kafka.
 */
const broker = z.preprocess(
  (env) => {
    const vars = (env ?? {}) as Record<string, unknown>;
    return { ...vars, BROKER: vars.BROKER || 'kafka' }; // empty is unset, as in a shell
  },
  z.discriminatedUnion(
    'BROKER',
    [
      z.object({
        BROKER: z.literal('kafka'),
        KAFKA_BROKERS: kafkaBrokers,
        ...kafkaAuth,
        KAFKA_SESSION_TIMEOUT_MS: kafkaSessionTimeoutMs,
        KAFKA_CLIENT: kafkaClient,
      }),
      z.object({
        BROKER: z.literal('rabbitmq'),
        RABBITMQ_URL: z.url({
          protocol: /^amqps?$/,
          error: 'required when BROKER=rabbitmq: an amqp:// or amqps:// URL',
        }),
      }),
    ],
    { error: 'must be kafka or rabbitmq' },
  ),
);

export type BrokerConfig = z.infer<typeof broker>;

/** Shared pieces of every service's environment schema. */
export const envSchemas = {
  port: (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback),
  /** Combine with `.and(envSchemas.broker)`: a union, so no object can spread it. */
  broker,
  database: {
    DB_HOST: z.string().min(1).default('127.0.0.1'),
    DB_PORT: z.coerce.number().int().min(1).max(65535).default(55432),
    DB_NAME: z.string().min(1),
    DB_USER: z.string().min(1),
    DB_PASSWORD: z.string().min(1),
  },
  /** OPERATOR_TOKEN: the bearer token OperatorGuard requires of operator routes. */
  operator: operatorTokenSchema,
};
