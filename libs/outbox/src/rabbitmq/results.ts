import { OutboxRecord, PUBLISHED, PublishResult } from '../publisher';

/** The fields of a `basic.return`: which exchange and routing key found no queue, and why. */
export interface ReturnedFields {
  readonly exchange: string;
  readonly routingKey: string;
  readonly replyCode: number;
  readonly replyText: string;
}

/** A returned message's reason: no binding of the exchange matches its routing key (a topology mistake). */
export const unroutable = ({ exchange, routingKey, replyCode, replyText }: ReturnedFields): string =>
  `unroutable: exchange "${exchange}" has no queue bound for routing key "${routingKey}" (${replyCode} ${replyText})`;

/**
 * What the broker said of one message: a confirm (ack), after a return if it was unroutable,
 * or an error (a nack, or the channel closed before the confirm).
 */
export type Confirm = { readonly returned?: string } | { readonly error: string };

export const HELD_BACK = 'held back: an earlier record of its aggregate was not published';

/**
 * Results in the port's terms. The batch was pipelined on one channel, so the records behind
 * one that was not published went out all the same; the ordering contract still wants them
 * reported unavailable, so that the relay sends them again after it (copies the consumers dedupe).
 */
export function toResults(records: readonly OutboxRecord[], confirms: readonly Confirm[]): PublishResult[] {
  const failed = new Set<string>();
  return records.map((record, i) => {
    const stream = `${record.destination}\u0000${record.key}`;
    const confirm = confirms[i];
    const result: PublishResult =
      'error' in confirm
        ? { status: 'unavailable', error: confirm.error }
        : confirm.returned !== undefined
          ? { status: 'refused', error: confirm.returned }
          : failed.has(stream)
            ? { status: 'unavailable', error: HELD_BACK }
            : PUBLISHED;
    if (result.status !== 'published') failed.add(stream);
    return result;
  });
}
