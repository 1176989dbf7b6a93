export { OutboxModule } from './outbox.module';
export type { ManagedRelay, OutboxModuleOptions, OutboxModuleAsyncOptions, RelayBase } from './outbox.module';
export { OutboxHealthIndicator } from './outbox.health';
export { outboxAdminController } from './outbox-admin.controller';
export type { OutboxAdminControllerOptions } from './outbox-admin.controller';
