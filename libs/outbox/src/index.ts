export { Outbox, OutboxTransactionError } from './outbox';
export type { OutboxEvent } from './outbox-event';
export { OutboxRelay } from './outbox-relay';
export type { OutboxRelayOptions, OutboxLogger } from './outbox-relay';
export { OutboxModule } from './outbox.module';
export type { OutboxModuleOptions, OutboxModuleAsyncOptions } from './outbox.module';
export { CreateOutboxTable1764000000000 } from './create-outbox-table.migration';
