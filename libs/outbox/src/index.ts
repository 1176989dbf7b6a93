// The core: no broker client, no NestJS, no prom-client. Adapters: `/kafkajs`, `/confluent`, `/rabbitmq`, `/nest`, `/prometheus`.
export { Outbox, OutboxTransactionError } from './outbox';
export type { OutboxOptions } from './outbox';
export type { OutboxEvent, OutboxHeaders } from './outbox-event';
export type { OutboxTableOptions } from './outbox-table';
export type { OutboxPublisher, OutboxRecord, PublishResult } from './publisher';
export type { OutboxLogger } from './logger';
export type { OutboxMetricsSink, OutboxFailureReason } from './metrics';
export { OutboxRelay } from './relay/outbox-relay';
export { shardOf } from './relay/shards';
export type { OutboxRelayOptions, OutboxRelayHooks } from './relay/relay-options';
export { OutboxAdmin } from './outbox-admin';
export { outboxSql } from './outbox-sql';
export type { AggregateRow, OutboxSql, OutboxStats, ParkedRow, PendingRow, SqlRunner } from './outbox-sql';
export { ClaimLog } from './relay/claim-log';
export type { ReplicationSlotStats } from './logical/replication-slot';
export {
  CreateOutboxTable1764000000000,
  createOutboxTableMigration,
  createOutboxTableSql,
} from './migration/create-outbox-table';
export {
  CreateOutboxPublication1764000000010,
  createOutboxPublicationSql,
  outboxPublicationName,
} from './migration/create-outbox-publication';
export { installPgErrorListener } from './pg-error-listener';
