import { errorMessage } from './inbox-errors';
import { DeadLetterRecord, InboxMessage } from './ports';

/** The one default naming of dead-letter topics: `<topic>.dlt`. Tools and tests use it too. */
export const deadLetterTopicFor = (topic: string): string => `${topic}.dlt`;

/** Header names operators and re-drive tools read; kept stable. */
export const DLT_HEADERS = {
  originalTopic: 'dlt-original-topic',
  originalPartition: 'dlt-original-partition',
  originalOffset: 'dlt-original-offset',
  consumer: 'dlt-consumer',
  error: 'dlt-error',
  attempts: 'dlt-attempts',
} as const;

/** dlt-error is cut here: a header is not the place for a stack of nested causes. */
const MAX_ERROR_LENGTH = 1000;

/**
 * The original key, value and headers, plus where the message came from and why it could
 * not be handled. The error is as `errorMessage` renders it: no quoted values.
 */
export function deadLetterRecord(
  message: InboxMessage,
  consumer: string,
  error: unknown,
  attempts: number,
): DeadLetterRecord {
  const { topic, partition, offset } = message.position;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLT_HEADERS.originalTopic]: topic,
      ...(partition === undefined ? {} : { [DLT_HEADERS.originalPartition]: String(partition) }),
      [DLT_HEADERS.originalOffset]: offset,
      [DLT_HEADERS.consumer]: consumer,
      [DLT_HEADERS.error]: errorMessage(error).slice(0, MAX_ERROR_LENGTH),
      [DLT_HEADERS.attempts]: String(attempts),
    },
  };
}
