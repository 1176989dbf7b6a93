export { OutboxModule } from './outbox.module';
export type { OutboxModuleOptions, OutboxModuleAsyncOptions } from './outbox.module';
export { OutboxHealthIndicator } from './outbox.health';
