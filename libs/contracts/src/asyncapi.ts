import { z } from 'zod';
import { eventEnvelopeSchema } from './envelope/event-envelope';
import { eventContracts } from './event-registry';

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
  const channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }> = {};
  const messages: Record<string, unknown> = {};
  for (const contract of eventContracts.values()) {
    const channel = (channels[contract.topic] ??= { address: contract.topic, messages: {} });
    channel.messages[contract.type] = { $ref: `#/components/messages/${contract.type}` };
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
      description: 'Kafka key: aggregateId. Value: the envelope. Produced through the transactional outbox.',
    },
    defaultContentType: 'application/json',
    channels,
    components: { messages },
  };
}
