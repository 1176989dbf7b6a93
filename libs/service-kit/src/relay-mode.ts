import { z } from 'zod';
import type { OutboxPublisher, OutboxRelayHooks } from '@transactional-outbox/outbox';
import { OutboxLogicalRelay } from '@transactional-outbox/outbox/logical';
import type { OutboxModuleOptions } from '@transactional-outbox/outbox/nest';
import type { DatabaseConfig } from './postgres-options';

/**
 * How a producer's outbox reaches the broker: `polling` (the relay claims rows from the table),
 * `logical` (the relay streams the table's inserts from the WAL through a replication slot),
 * or `debezium` (Kafka Connect does; this process only writes, and deletes the rows in the
 * same transaction, since Debezium reads the inserts from the WAL).
 */
export const relayModeSchema = z.enum(['polling', 'logical', 'debezium']).default('polling');
export type RelayMode = z.infer<typeof relayModeSchema>;

/** The OutboxModule options that RELAY_MODE decides. */
export function relayModeOptions(
  mode: RelayMode,
  db: DatabaseConfig,
  publisher: OutboxPublisher,
  hooks: OutboxRelayHooks = {},
): Pick<OutboxModuleOptions, 'runRelay' | 'relayFactory' | 'deleteAfterInsert'> {
  if (mode === 'debezium') return { runRelay: false, deleteAfterInsert: true };
  if (mode === 'polling') return {};
  return {
    relayFactory: (dataSource, base) =>
      new OutboxLogicalRelay(dataSource, publisher, {
        ...base,
        hooks,
        connection: {
          host: db.DB_HOST,
          port: db.DB_PORT,
          user: db.DB_USER,
          password: db.DB_PASSWORD,
          database: db.DB_NAME,
        },
      }),
  };
}
