import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { adminConnection } from './native-postgres';
import { settings } from './settings';

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
    async drop() {
      const c = new Client(adminConnection('postgres'));
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
