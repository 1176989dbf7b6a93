import { TypeOrmModuleOptions } from '@nestjs/typeorm';
import { MixedList } from 'typeorm';

export interface DatabaseConfig {
  DB_HOST: string;
  DB_PORT: number;
  DB_NAME: string;
  DB_USER: string;
  DB_PASSWORD: string;
}

/** A service's own database: schema only through its migrations, which run at start. */
export function postgresOptions(
  config: DatabaseConfig,
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type for entity and migration classes
  schema: { entities: MixedList<Function>; migrations: MixedList<Function> },
): TypeOrmModuleOptions {
  return {
    type: 'postgres',
    host: config.DB_HOST,
    port: config.DB_PORT,
    database: config.DB_NAME,
    username: config.DB_USER,
    password: config.DB_PASSWORD,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsRun: true,
    synchronize: false,
    extra: { max: 10, connectionTimeoutMillis: 5000, onConnect: keepErrorsFromCrashing },
  };
}

/**
 * node-postgres reports a connection the server dropped as an `error` event on the client,
 * and an `error` event nobody listens to ends the process. pg-pool leaves a checked-out
 * client's errors to whoever holds it, and under TypeORM some moments have no listener:
 * terminating 1,499 sessions under load raised 32 such unhandled events. The query in
 * flight fails on its own and the pool drops the client, so this listener only has to exist.
 */
function keepErrorsFromCrashing(client: { on(event: 'error', listener: () => void): unknown }): void {
  client.on('error', () => undefined);
}
