// The NestJS transport, context, module and health indicator of the inbox.
export { InboxServer, nestInboxLogger } from './inbox-server';
export type { InboxServerOptions } from './inbox-server';
export { connectInbox, createInboxMicroservice } from './connect-inbox';
export { InboxContext } from './inbox-context';
export type { InboxMessageMeta } from './inbox-context';
export { InboxExceptionFilter } from './inbox-exception.filter';
export { InboxHealthIndicator, InboxModule } from './inbox.module';
