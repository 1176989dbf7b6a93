import { z } from 'zod';
import { plainText } from '../plain-text';

/**
 * The one envelope every event travels in, whichever service produced it.
 * It is both the Kafka message value and the outbox row's `payload` column, so the
 * wire format is the same whether the project's relay or Debezium publishes it.
 * `type` carries the version: `order.placed.v1`. Fields a reader does not know are dropped,
 * here and in every contract's data (see the README on what a version may gain).
 */
export const eventEnvelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().regex(/^[a-z]+(\.[a-z]+)+\.v\d+$/, 'must look like "order.placed.v1"'),
  aggregateType: plainText.min(1).max(100),
  aggregateId: plainText.min(1).max(200),
  occurredAt: z.iso.datetime({ offset: true }),
  correlationId: plainText.max(200).optional(),
  causationId: plainText.max(200).optional(),
  data: z.unknown(),
});

export type EventEnvelope<TData = unknown, TType extends string = string> = Omit<
  z.infer<typeof eventEnvelopeSchema>,
  'data' | 'type'
> & { type: TType; data: TData };
