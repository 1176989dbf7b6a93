import { z } from 'zod';
import { ConfigError, envSchemas, loadConfig } from './load-config';

const schema = z.object({ PORT: envSchemas.port(3000), KAFKA_BROKERS: envSchemas.brokers, ...envSchemas.database });
const validEnv = { KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', DB_NAME: 'orders', DB_USER: 'u', DB_PASSWORD: 'p' };

describe('loadConfig', () => {
  it('applies defaults and parses lists', () => {
    expect(loadConfig(schema, validEnv)).toMatchObject({
      PORT: 3000,
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9093'],
      DB_PORT: 55432,
    });
  });

  it('names every variable at fault', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: '70000', KAFKA_BROKERS: 'no-port' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ['PORT', 'KAFKA_BROKERS', 'DB_NAME', 'DB_USER', 'DB_PASSWORD']) expect(message).toContain(name);
  });
});
