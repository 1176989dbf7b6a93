import { InboxEnvelope } from './inbox-envelope';
import { PermanentMessageError } from './inbox-errors';
import { MessageHeaders, MessageTransport, TransportClaim } from './ports';

/** What a topic carries, and the one service that writes it (from the producers' contracts). */
export interface TopicEvents {
  readonly producer: string;
  readonly types: readonly string[];
}

/** The headers the outbox (and Debezium's router, as this project configures it) sets from the envelope. */
const ENVELOPE_HEADERS = ['id', 'type', 'aggregateType', 'aggregateId'] as const;

/** What the envelope headers say, each value of a repeated header on its own. */
export function headerClaims(headers: MessageHeaders): TransportClaim[] {
  return ENVELOPE_HEADERS.flatMap((field) =>
    [headers[field] ?? []].flat().map((value) => ({ field, from: `header "${field}"`, value: String(value) })),
  );
}

/**
 * Checks the envelope against how it travelled: its type must be one the topic its producer
 * wrote carries (when `eventsOn` is given), and every statement the transport makes about it
 * (the record key, the envelope headers, RabbitMQ's message id and routing key) must agree
 * with it. Throws a PermanentMessageError naming every disagreement; no value is quoted but
 * the type, so no personal data a forger put in a header reaches a log line.
 */
export function verifyTransport(
  transport: MessageTransport,
  envelope: InboxEnvelope,
  eventsOn?: (topic: string) => TopicEvents | undefined,
): void {
  const type = JSON.stringify(envelope.type);
  const topic = JSON.stringify(transport.topic);
  if (eventsOn) {
    const carried = eventsOn(transport.topic);
    if (!carried) throw new PermanentMessageError(`topic ${topic} carries no event type this consumer knows`);
    if (!carried.types.includes(envelope.type)) {
      throw new PermanentMessageError(
        `event type ${type} is not carried by topic ${topic} (produced by ${carried.producer})`,
      );
    }
  }
  const disagreements = transport.claims.flatMap(({ field, from, value }) => {
    if (value === undefined) return [`${from} is missing (it must be the envelope's ${field})`];
    return value === envelope[field] ? [] : [`${from} is not the envelope's ${field}`];
  });
  if (disagreements.length > 0) {
    throw new PermanentMessageError(
      `the transport contradicts the envelope: ${[...new Set(disagreements)].join('; ')}`,
    );
  }
}
