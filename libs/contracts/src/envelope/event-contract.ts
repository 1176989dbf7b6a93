import { z } from 'zod';

/** A versioned event owned by its producer: the wire type, who publishes it, its topic, its data schema. */
export interface EventContract<TType extends string, TSchema extends z.ZodType> {
  readonly type: TType;
  /** The one service that publishes it; only that service may write its topic. */
  readonly producer: string;
  readonly topic: string;
  readonly aggregateType: string;
  /** The field of `data` that holds the aggregate's id: it must equal the envelope's `aggregateId`, the message key. */
  readonly aggregateIdIn: keyof z.infer<TSchema> & string;
  readonly schema: TSchema;
}

export const defineEvent = <TType extends string, TSchema extends z.ZodType>(
  contract: EventContract<TType, TSchema>,
): EventContract<TType, TSchema> => Object.freeze(contract);

export type EventData<C> = C extends EventContract<string, infer S> ? z.infer<S> : never;
