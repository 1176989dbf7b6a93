// The core: broker-neutral, framework-free (typeorm and pg only). Adapters: /kafkajs, /nest, /prometheus.
export { Inbox } from './inbox';
export type { InboxHealth } from './inbox';
export type { InboxStats } from './message-handling';
export type { InboxHandler, InboxHandlerContext, InboxOptions, InboxSettings } from './inbox-options';
export { INBOX_DEFAULTS } from './inbox-options';
export type {
  DeadLetterRecord,
  DeadLetterSink,
  InboxBroker,
  InboxMessage,
  InboxSource,
  InboxSubscriber,
  MessageBatch,
  MessageHeaders,
  MessagePosition,
  MessageTransport,
  TransportClaim,
} from './ports';
export { headerClaims, verifyTransport } from './transport-check';
export type { TopicEvents } from './transport-check';
export type { InboxLogger, InboxMetricLabels, InboxMetricsSink, LagSource } from './observability';
export { consoleInboxLogger } from './observability';
export { decodeEnvelope } from './inbox-envelope';
export type { InboxEnvelope } from './inbox-envelope';
export { DatabaseUnavailableError, errorMessage, isDatabaseUnavailable, PermanentMessageError } from './inbox-errors';
export { backoffMs } from './backoff';
export { deadLetterRecord, deadLetterTopicFor, DLT_HEADERS } from './dead-letter';
export * from './inbox-table';
export { installPgErrorListener } from './pg-error-listener';
