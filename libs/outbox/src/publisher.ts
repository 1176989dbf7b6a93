import { errorMessage } from './logger';
import { publishSpans } from './tracing';

/** One message for the broker, made from one outbox row. */
export interface OutboxRecord {
  /** Where it goes: `topicFor(aggregateType)`. A Kafka topic; for RabbitMQ e.g. an exchange. */
  readonly destination: string;
  /**
   * The aggregate id. Records with one key must reach consumers in the order they are given
   * (Kafka: the message key, so one partition).
   */
  readonly key: string;
  /** The envelope JSON as stored in the row's `payload`. */
  readonly value: string;
  /**
   * The row's headers (`occurredAt`, `correlationId`, `traceparent`…) plus `id`, `type`,
   * `aggregateType` and `aggregateId`. Read it during `publish`; do not keep or change it.
   */
  readonly headers: Readonly<Record<string, string>>;
}

/** What became of one record. */
export type PublishResult =
  /** The broker has it durably (Kafka: acks=all; RabbitMQ: a publisher confirm). */
  | { readonly status: 'published' }
  /**
   * This record is at fault (too large, invalid, unroutable…): retrying it alone will not
   * help. The relay retries it with back-off, holds back later rows of its aggregate, and
   * parks it after `maxAttempts`.
   */
  | { readonly status: 'refused'; readonly error: string }
  /**
   * Not published, or not known to be: the broker is unavailable, or the call ended before
   * an answer. The relay sends it again later (a duplicate if it did arrive).
   */
  | { readonly status: 'unavailable'; readonly error: string };

/**
 * The relay's only contact with a broker. The relay calls `publish` for one batch at a
 * time, never two at once, and marks a row published only for a `published` result.
 *
 * Contract:
 * - `publish` resolves with one result per record, in the records' order. It should not
 *   reject: a rejection counts as `unavailable` for every record of the call.
 * - Order: within one call, a record that is not published must not be followed by a
 *   published record with the same destination and key, and records with the same
 *   destination and key must be delivered in the order given. (Kafka keeps this with an
 *   idempotent producer and one request in flight, as one key maps to one partition;
 *   RabbitMQ with one channel and publisher confirms: after a record is returned unroutable
 *   or nacked, the later records with its key are reported `unavailable`, though a pipelined
 *   batch has sent them; they are sent again later, copies the consumers dedupe.)
 *   The relay takes such a left-out record as held back by the refused one, not as an outage.
 * - Attribution: report `refused` only for a record known to be at fault. When the broker
 *   refuses a batch without saying which record, find out (the kafkajs adapter sends that
 *   batch again one record at a time).
 *
 * `close` releases the broker connection the publisher made (not a client it was given);
 * the relay calls it when it stops, perhaps more than once.
 */
export interface OutboxPublisher {
  publish(records: readonly OutboxRecord[]): Promise<readonly PublishResult[]>;
  close(): Promise<void>;
}

export const PUBLISHED: PublishResult = Object.freeze({ status: 'published' });

/**
 * One result per record, whatever the publisher does: a rejection, or a miscount, leaves
 * every record `unavailable` (the relays then send them again).
 */
export async function publishSafely(
  publisher: OutboxPublisher,
  records: readonly OutboxRecord[],
): Promise<readonly PublishResult[]> {
  const spans = publishSpans(records);
  let results: readonly PublishResult[];
  try {
    results = await publisher.publish(spans.records);
    if (results.length !== records.length)
      throw new Error(`the publisher answered ${results.length} results for ${records.length} records`);
  } catch (err) {
    const unavailable: PublishResult = { status: 'unavailable', error: errorMessage(err) };
    results = records.map(() => unavailable);
  }
  spans.end(results);
  return results;
}
