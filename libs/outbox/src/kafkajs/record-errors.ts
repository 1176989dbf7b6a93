/**
 * Kafka errors caused by the record itself (kafkajs protocol error `type`s): sending it
 * again will fail again, so the row is retried on its own and eventually parked. Every
 * other error is taken as the broker or the network being unavailable: all rows wait and
 * the relay backs off.
 */
const RECORD_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
]);

interface KafkaLikeError {
  type?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** True when `err`, or an error it wraps (kafkajs retriers wrap the protocol error), is a record error. */
export function isRecordError(err: unknown): boolean {
  for (let e = err as KafkaLikeError | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type && RECORD_ERRORS.has(e.type)) return true;
    e = (e.cause ?? e.originalError) as KafkaLikeError | undefined;
  }
  return false;
}
