import { z } from 'zod';
import { defineEvent } from './envelope/event-contract';
import { eventContracts } from './event-registry';
import { SUBSCRIPTIONS } from './subscriptions';
import { eventsOn, TOPIC_OWNERSHIP, topicOwnership } from './topic-owners';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from './topics';

describe('topic ownership', () => {
  it('gives every topic exactly one producer, and every contract the topic its producer owns', () => {
    for (const contract of eventContracts.values()) {
      const owned = TOPIC_OWNERSHIP.get(contract.topic);
      expect([contract.type, owned?.producer]).toEqual([contract.type, contract.producer]);
      expect(owned?.types).toContain(contract.type);
    }
    const producersByTopic = new Map<string, Set<string>>();
    for (const { topic, producer } of eventContracts.values()) {
      producersByTopic.set(topic, (producersByTopic.get(topic) ?? new Set()).add(producer));
    }
    expect([...producersByTopic].map(([topic, producers]) => [topic, producers.size])).toEqual(
      [...TOPIC_OWNERSHIP.keys()].map((topic) => [topic, 1]),
    );
  });

  it('says what each topic carries and who writes it', () => {
    expect(eventsOn(ORDER_EVENTS_TOPIC)).toEqual({
      producer: 'order-service',
      types: ['order.placed.v1', 'order.cancelled.v1'],
    });
    expect(eventsOn(SHIPMENT_EVENTS_TOPIC)).toEqual({
      producer: 'shipping-service',
      types: ['shipment.dispatched.v1'],
    });
    expect(eventsOn('outbox.event.payment')).toBeUndefined();
  });

  it('knows every topic a service subscribes to, and no service consumes its own events', () => {
    for (const [consumer, topics] of Object.entries(SUBSCRIPTIONS)) {
      for (const topic of topics) {
        expect([consumer, topic, eventsOn(topic)?.producer]).toEqual([consumer, topic, expect.any(String)]);
        expect(eventsOn(topic)?.producer).not.toBe(consumer);
      }
    }
  });

  it('refuses contracts that give one topic two producers', () => {
    const event = (type: string, producer: string) =>
      defineEvent({
        type,
        producer,
        topic: 'outbox.event.thing',
        aggregateType: 'thing',
        aggregateIdIn: 'thingId',
        schema: z.object({ thingId: z.string() }),
      });
    expect(() => topicOwnership([event('thing.made.v1', 'a-service'), event('thing.sold.v1', 'b-service')])).toThrow(
      'topic "outbox.event.thing" has two producers: a-service and b-service (thing.sold.v1)',
    );
  });
});
