import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { adminConnection } from './native-postgres';
import { kafkaEnv, settings } from './settings';

/** A throw-away database for one integration test file, dropped by `drop()`. */
export async function createTestDatabase(prefix: string) {
  const name = `${prefix}_${randomUUID().slice(0, 8)}`.replace(/[^a-z0-9_]/g, '_');
  const admin = new Client(adminConnection('postgres'));
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    name,
    options: {
      host: settings.host,
      port: settings.postgres.port,
      username: settings.postgres.adminUser,
      password: settings.postgres.adminPassword,
      database: name,
    },
    /** What a service built in-process reads from its environment to use this database and the infrastructure. */
    env: {
      DB_HOST: settings.host,
      DB_PORT: String(settings.postgres.port),
      DB_NAME: name,
      DB_USER: settings.postgres.adminUser,
      DB_PASSWORD: settings.postgres.adminPassword,
      ...kafkaEnv('admin'),
      SMTP_HOST: settings.host,
      SMTP_PORT: String(settings.smtp.port),
      OPERATOR_TOKEN: settings.operatorToken,
    },
    async drop() {
      const c = new Client(adminConnection('postgres'));
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
