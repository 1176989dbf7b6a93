import { z } from 'zod';
import { EventContract } from './envelope/event-contract';
import { eventContracts } from './event-registry';

/** A topic as the contracts define it: the one service that writes it, and the event types it carries. */
export interface TopicOwnership {
  readonly producer: string;
  readonly types: readonly string[];
}

/**
 * Each topic's producer and event types, from the contracts. A topic claimed by two
 * producers is a mistake in the contracts: a consumer could no longer tell whose event it got.
 */
export function topicOwnership(
  contracts: Iterable<EventContract<string, z.ZodType>>,
): ReadonlyMap<string, TopicOwnership> {
  const topics = new Map<string, { producer: string; types: string[] }>();
  for (const { type, producer, topic } of contracts) {
    const owned = topics.get(topic) ?? { producer, types: [] };
    if (owned.producer !== producer) {
      throw new Error(`topic "${topic}" has two producers: ${owned.producer} and ${producer} (${type})`);
    }
    owned.types.push(type);
    topics.set(topic, owned);
  }
  return topics;
}

/** Every topic of this system: who produces it and what it carries. */
export const TOPIC_OWNERSHIP = topicOwnership(eventContracts.values());

/**
 * What a topic carries and who produces it; undefined for a topic no contract names. The
 * services give it to their inbox (`eventsOn`), which refuses an event type its topic does not carry.
 */
export const eventsOn = (topic: string): TopicOwnership | undefined => TOPIC_OWNERSHIP.get(topic);
