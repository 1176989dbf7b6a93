import type { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

const guardedPools = new WeakSet<object>();
const guardedClients = new WeakSet<object>();
const ignore = () => undefined;

/**
 * node-postgres reports a connection the server dropped as an `error` event on its client,
 * and an `error` event nobody listens to ends the process. pg-pool leaves a checked-out
 * client's errors to whoever holds it, and under TypeORM there are moments with no
 * listener. The query in flight fails on its own, so a listener only has to exist: this
 * adds one to every client the DataSource's pool connects or hands out (so clients already
 * pooled get it when next used). Idempotent; a no-op for non-PostgreSQL DataSources.
 */
export function installPgErrorListener(dataSource: DataSource): void {
  if (dataSource.options.type !== 'postgres') return;
  const pool = (dataSource.driver as PostgresDriver).master as EventEmitter | undefined;
  if (!pool || guardedPools.has(pool)) return;
  guardedPools.add(pool);
  const guard = (client: EventEmitter) => {
    if (guardedClients.has(client)) return;
    guardedClients.add(client);
    client.on('error', ignore);
  };
  pool.on('connect', guard);
  pool.on('acquire', guard);
}
