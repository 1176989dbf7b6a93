import { DataSource } from 'typeorm';

interface PgClientLike {
  on(event: 'error', listener: (err: Error) => void): unknown;
}
interface PgPoolLike {
  on(event: 'connect' | 'acquire', listener: (client: PgClientLike) => void): unknown;
}

const guarded = new WeakSet<object>();
const ignore = () => undefined;

/**
 * node-postgres reports a connection the server ended as an `error` event on its client,
 * and an `error` event nobody listens to ends the process; pg-pool leaves a checked-out
 * client's errors to whoever holds it, and under TypeORM some moments have none. The query
 * in flight fails on its own and the pool drops the client, so this listener only has to
 * exist. Installed on every client of the DataSource's pool: new ones as they connect,
 * those already pooled when next checked out. OutboxModule installs it; call it yourself
 * without NestJS, after `dataSource.initialize()`. Installing it twice does nothing more.
 */
export function installPgErrorListener(dataSource: DataSource): void {
  // PostgresDriver's `master` is its pg Pool (public and typed, but typeorm's types say `any`).
  const pool = (dataSource.driver as unknown as { master?: PgPoolLike }).master;
  if (typeof pool?.on !== 'function')
    throw new Error('installPgErrorListener needs an initialized DataSource of type postgres');
  if (guarded.has(pool)) return;
  guarded.add(pool);
  const guard = (client: PgClientLike) => {
    if (guarded.has(client)) return;
    guarded.add(client);
    client.on('error', ignore);
  };
  pool.on('connect', guard);
  pool.on('acquire', guard);
}
