export { KafkaInboxServer } from './kafka-inbox.server';
export type { KafkaInboxOptions, InboxStats } from './kafka-inbox.server';
export { InboxContext } from './inbox-context';
export type { InboxMessageMeta } from './inbox-context';
export { PermanentMessageError, decodeEnvelope } from './inbox-envelope';
export type { InboxEnvelope } from './inbox-envelope';
export { InboxExceptionFilter } from './inbox-exception.filter';
export { CreateInboxTable1764000000001 } from './create-inbox-table.migration';
