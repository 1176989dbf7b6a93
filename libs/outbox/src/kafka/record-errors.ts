/**
 * Kafka errors caused by the record itself, by their protocol error code (kafkajs' `type`
 * names in comments; librdkafka reports the same codes, e.g. 10 as ERR_MSG_SIZE_TOO_LARGE):
 * sending it again will fail again, so the row is retried on its own and eventually parked.
 * Every other error is taken as the broker or the network being unavailable: all rows wait
 * and the relay backs off.
 */
const RECORD_ERRORS = new Set([
  10, // MESSAGE_TOO_LARGE
  18, // RECORD_LIST_TOO_LARGE
  87, // INVALID_RECORD
  2, // CORRUPT_MESSAGE
  17, // INVALID_TOPIC_EXCEPTION
  21, // INVALID_REQUIRED_ACKS
  // The producer's user may not write this topic (ACLs): rows for other topics keep flowing.
  29, // TOPIC_AUTHORIZATION_FAILED
]);

/**
 * The broker no longer agrees with the idempotent producer's id or sequence numbers, e.g.
 * a request the client gave up on was written after all. The client keeps that state, so
 * every later send fails the same way until the producer is replaced.
 */
const PRODUCER_STATE_ERRORS = new Set([
  45, // OUT_OF_ORDER_SEQUENCE_NUMBER
  59, // UNKNOWN_PRODUCER_ID
  47, // INVALID_PRODUCER_EPOCH
  49, // INVALID_PRODUCER_ID_MAPPING
]);

interface KafkaLikeError {
  code?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/**
 * True when `err`, or an error it wraps (kafkajs retriers wrap the protocol error), is a
 * record error. Both clients put the broker's code in `code` (Node's own errors have string
 * codes; librdkafka's local errors are negative).
 */
export const isRecordError = (err: unknown): boolean => hasCode(err, RECORD_ERRORS);

/** True when the producer must be replaced before it can send again (see PRODUCER_STATE_ERRORS). */
export const isProducerStateError = (err: unknown): boolean => hasCode(err, PRODUCER_STATE_ERRORS);

function hasCode(err: unknown, codes: ReadonlySet<number>): boolean {
  for (let e = err as KafkaLikeError | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'number' && codes.has(e.code)) return true;
    e = (e.cause ?? e.originalError) as KafkaLikeError | undefined;
  }
  return false;
}
