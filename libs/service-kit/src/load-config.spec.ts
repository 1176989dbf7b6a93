import { z } from 'zod';
import { ConfigError, envSchemas, loadConfig } from './load-config';

const schema = z.object({ PORT: envSchemas.port(3000), ...envSchemas.database }).and(envSchemas.broker);
const db = { DB_NAME: 'orders', DB_USER: 'u', DB_PASSWORD: 'p' };
const kafkaUser = { KAFKA_SASL_USERNAME: 'order-service', KAFKA_SASL_PASSWORD: 'secret' };
const validEnv = { KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', ...kafkaUser, ...db };

const configErrorOf = (env: NodeJS.ProcessEnv, of: z.ZodType = schema): string => {
  try {
    loadConfig(of, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
};
const errorOf = (env: NodeJS.ProcessEnv) => configErrorOf(env);

describe('loadConfig', () => {
  it('applies defaults and parses lists; the broker is Kafka unless BROKER says', () => {
    expect(loadConfig(schema, validEnv)).toMatchObject({
      PORT: 3000,
      BROKER: 'kafka',
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9093'],
      KAFKA_SESSION_TIMEOUT_MS: 10_000,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SSL: false,
      KAFKA_CLIENT: 'kafkajs',
      DB_PORT: 55432,
    });
  });

  it("takes the relay's Kafka client from KAFKA_CLIENT, kafkajs unless it says, and checks it is installed", () => {
    expect(errorOf({ ...validEnv, KAFKA_CLIENT: 'rdkafka' })).toContain('KAFKA_CLIENT: must be kafkajs or confluent');
    jest.isolateModules(() => {
      // As on a machine where the optional dependency did not build.
      jest.doMock('@transactional-outbox/outbox/confluent', () => ({
        loadConfluentKafka: () => {
          throw new Error('@confluentinc/kafka-javascript is not installed');
        },
      }));
      const isolated = jest.requireActual<typeof import('./load-config')>('./load-config');
      const withoutIt = z.object({ ...envSchemas.database }).and(isolated.envSchemas.broker);
      expect(() => isolated.loadConfig(withoutIt, { ...validEnv, KAFKA_CLIENT: 'confluent' })).toThrow(
        'KAFKA_CLIENT: @confluentinc/kafka-javascript is not installed',
      );
      expect(isolated.loadConfig(withoutIt, validEnv)).toMatchObject({ KAFKA_CLIENT: 'kafkajs' });
    });
  });

  it("needs the service's Kafka user and password, and never shows the password", () => {
    const message = errorOf({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_SASL_PASSWORD: 'hunter2-secret', ...db });
    expect(message).toContain("KAFKA_SASL_USERNAME: required when BROKER=kafka: the service's Kafka user");
    expect(errorOf({ ...validEnv, KAFKA_SASL_MECHANISM: 'plain' })).toContain('KAFKA_SASL_MECHANISM');
    expect(errorOf({ ...validEnv, KAFKA_SSL: 'yes', KAFKA_SASL_PASSWORD: 'hunter2-secret' })).not.toContain('hunter2');
    expect(loadConfig(schema, { ...validEnv, KAFKA_SSL: 'true' })).toMatchObject({ KAFKA_SSL: true });
  });

  it('names every variable at fault', () => {
    const message = errorOf({ PORT: '70000', KAFKA_BROKERS: 'no-port' });
    for (const name of ['PORT', 'KAFKA_BROKERS', 'DB_NAME', 'DB_USER', 'DB_PASSWORD']) expect(message).toContain(name);
  });

  it('needs RABBITMQ_URL, and not KAFKA_BROKERS, on RabbitMQ', () => {
    expect(loadConfig(schema, { BROKER: 'rabbitmq', RABBITMQ_URL: 'amqp://u:p@127.0.0.1:5682', ...db })).toEqual(
      expect.objectContaining({ BROKER: 'rabbitmq', RABBITMQ_URL: 'amqp://u:p@127.0.0.1:5682' }),
    );
    expect(errorOf({ BROKER: 'rabbitmq', ...db })).toContain('RABBITMQ_URL: required when BROKER=rabbitmq');
    expect(errorOf({ BROKER: 'rabbitmq', RABBITMQ_URL: 'http://127.0.0.1', ...db })).toContain('RABBITMQ_URL');
    expect(errorOf(db)).toContain('KAFKA_BROKERS: required when BROKER=kafka');
    expect(errorOf({ BROKER: 'nats', ...db })).toContain('BROKER: must be kafka or rabbitmq');
  });
});

describe('OPERATOR_TOKEN (envSchemas.operator)', () => {
  const TOKEN = 'a-test-operator-token-of-40-characters-xx';
  const operator = z.object(envSchemas.operator);
  const errorOf = (env: NodeJS.ProcessEnv) => configErrorOf(env, operator);

  it('takes a token of 32 characters or more', () => {
    expect(loadConfig(operator, { OPERATOR_TOKEN: TOKEN })).toEqual({ OPERATOR_TOKEN: TOKEN });
  });

  it('refuses a missing, short or unsendable token, naming the variable', () => {
    expect(errorOf({})).toContain("OPERATOR_TOKEN: required: the operator's bearer token, at least 32 characters");
    expect(errorOf({ OPERATOR_TOKEN: 'short' })).toContain('OPERATOR_TOKEN: must be at least 32 characters');
    expect(errorOf({ OPERATOR_TOKEN: `${TOKEN} with spaces` })).toContain('OPERATOR_TOKEN: must be a bearer token');
  });

  it('never puts the refused value in the error', () => {
    expect(errorOf({ OPERATOR_TOKEN: 'secret-but-short' })).not.toContain('secret-but-short');
  });
});
