import { z } from 'zod';
import { eventEnvelopeSchema } from './envelope/event-envelope';
import { eventContracts } from './event-registry';
import { TOPIC_OWNERSHIP } from './topic-owners';

/** The envelope of one event type, with its data schema in place of `unknown`. */
export const envelopeSchemaOf = (type: string) => {
  const contract = eventContracts.get(type);
  if (!contract) throw new Error(`unknown event type "${type}"`);
  return eventEnvelopeSchema.extend({
    type: z.literal(contract.type),
    aggregateType: z.literal(contract.aggregateType),
    data: contract.schema,
  });
};

/**
 * An AsyncAPI 3.0 document of every event, generated from the zod schemas. The checked-in
 * copy (`asyncapi.json`) is kept in sync by a test; `npm run contracts:generate` rewrites it.
 */
export function buildAsyncApi() {
  const channels = Object.fromEntries(
    [...TOPIC_OWNERSHIP].map(([topic, { producer, types }]) => [
      topic,
      {
        address: topic,
        description: `Written by ${producer} only. Consumers refuse any other event type on it.`,
        'x-producer': producer,
        messages: Object.fromEntries(types.map((type) => [type, { $ref: `#/components/messages/${type}` }])),
      },
    ]),
  );
  const messages: Record<string, unknown> = {};
  for (const contract of eventContracts.values()) {
    messages[contract.type] = {
      name: contract.type,
      contentType: 'application/json',
      headers: {
        type: 'object',
        properties: Object.fromEntries(
          [
            'id',
            'type',
            'aggregateType',
            'aggregateId',
            'occurredAt',
            'correlationId',
            'causationId',
            'traceparent',
          ].map((h) => [h, { type: 'string' }]),
        ),
        required: ['id', 'type', 'aggregateType', 'aggregateId'],
      },
      // As a consumer reads it: fields it does not know are allowed (and dropped).
      payload: z.toJSONSchema(envelopeSchemaOf(contract.type), { io: 'input' }),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Transactional outbox reference — events',
      version: '1.0.0',
      description:
        'Kafka key: aggregateId. Value: the envelope. Produced through the transactional outbox. ' +
        'Consumers dead-letter an event whose key or id, type, aggregateType, aggregateId headers contradict its envelope.',
    },
    defaultContentType: 'application/json',
    channels,
    components: { messages },
  };
}
