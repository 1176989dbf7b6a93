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

/**
 * OUTBOX_RELAY_SHARDS: the polling relay's shards (its `shards` option, 1 to 256). Only the
 * polling relay is sharded: `relayShardsRule` refuses more than 1 with another RELAY_MODE.
 */
export const relayShardsSchema = z.coerce.number().int().min(1).max(256).default(1);

/** For a config schema's `.refine`: OUTBOX_RELAY_SHARDS > 1 needs RELAY_MODE=polling. */
export const relayShardsRule: [
  (c: { RELAY_MODE: RelayMode; OUTBOX_RELAY_SHARDS: number }) => boolean,
  { path: string[]; message: string },
] = [
  (c) => c.OUTBOX_RELAY_SHARDS === 1 || c.RELAY_MODE === 'polling',
  {
    path: ['OUTBOX_RELAY_SHARDS'],
    message: 'must be 1 unless RELAY_MODE=polling: the log-based relays are not sharded',
  },
];

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
