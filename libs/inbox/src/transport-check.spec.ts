import { InboxEnvelope } from './inbox-envelope';
import { PermanentMessageError } from './inbox-errors';
import { MessageTransport, TransportClaim } from './ports';
import { headerClaims, TopicEvents, verifyTransport } from './transport-check';

const envelope: InboxEnvelope = {
  id: '5b0c3c1e-8f43-4a53-9b55-3f1f4a2d6e01',
  type: 'order.placed.v1',
  aggregateType: 'order',
  aggregateId: '0f6f3a52-4f3c-4d61-9a4e-2f5e7f0b9c11',
  occurredAt: '2026-01-01T00:00:00.000Z',
  data: {},
};

const topics: Record<string, TopicEvents> = {
  'outbox.event.order': { producer: 'order-service', types: ['order.placed.v1', 'order.cancelled.v1'] },
  'outbox.event.shipment': { producer: 'shipping-service', types: ['shipment.dispatched.v1'] },
};
const eventsOn = (topic: string) => topics[topic];

/** As the kafkajs source describes a record: its key, then the envelope headers. */
const kafka = (key: string | undefined, headers: Record<string, string | Buffer | string[]>): MessageTransport => ({
  topic: 'outbox.event.order',
  claims: [{ field: 'aggregateId', from: 'the record key', value: key }, ...headerClaims(headers)],
});

const outboxHeaders = {
  id: envelope.id,
  type: envelope.type,
  aggregateType: envelope.aggregateType,
  aggregateId: envelope.aggregateId,
  traceparent: '00-abc-def-01',
};

const refusal = (transport: MessageTransport, e: InboxEnvelope = envelope) => {
  try {
    verifyTransport(transport, e, eventsOn);
  } catch (err) {
    expect(err).toBeInstanceOf(PermanentMessageError);
    return (err as Error).message;
  }
  return undefined;
};

describe('headerClaims', () => {
  it('takes the four envelope headers, as text, each value of a repeated one, and nothing else', () => {
    expect(headerClaims({ id: Buffer.from('a'), type: ['b', 'c'], traceparent: 'x', other: undefined })).toEqual<
      TransportClaim[]
    >([
      { field: 'id', from: 'header "id"', value: 'a' },
      { field: 'type', from: 'header "type"', value: 'b' },
      { field: 'type', from: 'header "type"', value: 'c' },
    ]);
  });
});

describe('verifyTransport', () => {
  it('accepts what the outbox publishes, and a record without the optional headers', () => {
    expect(refusal(kafka(envelope.aggregateId, outboxHeaders))).toBeUndefined();
    expect(refusal(kafka(envelope.aggregateId, {}))).toBeUndefined();
  });

  it('refuses a record without a key', () => {
    expect(refusal(kafka(undefined, outboxHeaders))).toBe(
      "the transport contradicts the envelope: the record key is missing (it must be the envelope's aggregateId)",
    );
  });

  it('names every header and the key that contradict the envelope, quoting none of their values', () => {
    const message = refusal(
      kafka('someone@example.com', {
        ...outboxHeaders,
        id: 'not-a-uuid',
        type: ['order.placed.v1', 'order.cancelled.v1'],
      }),
    );
    expect(message).toBe(
      'the transport contradicts the envelope: the record key is not the envelope\'s aggregateId; header "id" is not the envelope\'s id; header "type" is not the envelope\'s type',
    );
    expect(message).not.toContain('example.com');
  });

  it('refuses an event type the topic does not carry, naming the topic’s producer', () => {
    const dispatched = { ...envelope, type: 'shipment.dispatched.v1', aggregateType: 'shipment' };
    const transport = kafka(envelope.aggregateId, {});
    expect(refusal(transport, dispatched)).toBe(
      'event type "shipment.dispatched.v1" is not carried by topic "outbox.event.order" (produced by order-service)',
    );
    expect(refusal({ ...transport, topic: 'outbox.event.shipment' }, dispatched)).toBeUndefined();
  });

  it('refuses a topic it knows no producer of, and escapes what it quotes', () => {
    expect(refusal({ topic: 'outbox.event.payment', claims: [] })).toBe(
      'topic "outbox.event.payment" carries no event type this consumer knows',
    );
    expect(refusal({ topic: 'outbox.event.order', claims: [] }, { ...envelope, type: 'order\n.placed.v1' })).toBe(
      'event type "order\\n.placed.v1" is not carried by topic "outbox.event.order" (produced by order-service)',
    );
  });

  it('checks the types only when the consumer says what its topics carry', () => {
    const elsewhere = { topic: 'anything', claims: [] };
    expect(() => verifyTransport(elsewhere, { ...envelope, type: 'thing.happened.v1' })).not.toThrow();
  });

  it('checks RabbitMQ’s routing key and message id like headers', () => {
    const rabbit = (routingKey: string, messageId: string): MessageTransport => ({
      topic: 'outbox.event.order',
      claims: [
        { field: 'type', from: 'the routing key', value: routingKey },
        { field: 'id', from: 'the message id', value: messageId },
        ...headerClaims(outboxHeaders),
      ],
    });
    expect(refusal(rabbit(envelope.type, envelope.id))).toBeUndefined();
    expect(refusal(rabbit('order.cancelled.v1', 'not-a-uuid'))).toBe(
      "the transport contradicts the envelope: the routing key is not the envelope's type; the message id is not the envelope's id",
    );
  });
});
