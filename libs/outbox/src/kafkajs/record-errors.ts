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
  // The producer's user may not write this topic (ACLs): rows for other topics keep flowing.
  'TOPIC_AUTHORIZATION_FAILED',
]);

/**
 * The broker no longer agrees with the idempotent producer's id or sequence numbers, e.g.
 * a request the client gave up on was written after all. kafkajs keeps that state, so every
 * later send fails the same way until the producer is replaced.
 */
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
]);

interface KafkaLikeError {
  type?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** True when `err`, or an error it wraps (kafkajs retriers wrap the protocol error), is a record error. */
export const isRecordError = (err: unknown): boolean => hasType(err, RECORD_ERRORS);

/** True when the producer must be replaced before it can send again (see PRODUCER_STATE_ERRORS). */
export const isProducerStateError = (err: unknown): boolean => hasType(err, PRODUCER_STATE_ERRORS);

function hasType(err: unknown, types: ReadonlySet<string>): boolean {
  for (let e = err as KafkaLikeError | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type && types.has(e.type)) return true;
    e = (e.cause ?? e.originalError) as KafkaLikeError | undefined;
  }
  return false;
}
