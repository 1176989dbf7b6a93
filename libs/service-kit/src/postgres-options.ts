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
  /** OUTBOX_RELAY_SHARDS of a service that relays its outbox with the polling relay. */
  relayShards = 1,
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
    // The messaging libraries' modules install the pg client error listener on this pool.
    extra: { max: 10 + relaySessions(relayShards), connectionTimeoutMillis: 5000 },
  };
}

/**
 * Connections a sharded relay holds beside the ten that requests and consumers share: a
 * session per shard it leads (a lone replica leads them all) and its membership's.
 */
function relaySessions(shards: number): number {
  return shards > 1 ? shards + 1 : 0;
}
