import { Channel } from 'amqplib';
import { deadLetterTopicFor } from '../dead-letter';

/** Where an inbox consumer reads from on RabbitMQ: a queue of its own, bound to a source exchange. */
export interface InboxQueueTopology {
  /** The topic exchange the producer publishes to (the outbox's destination, e.g. `outbox.event.order`). */
  readonly exchange: string;
  readonly queue: string;
  /** Where poison messages go, from the inbox (with `dlt-*` headers) and from the broker (delivery limit). */
  readonly deadLetterQueue: string;
}

export interface InboxQueueSettings {
  /** The consumer's queue for a source exchange. Default `<exchange>.<consumer>`. */
  queueFor?: (exchange: string, consumer: string) => string;
  /** Its dead-letter queue; keep it equal to the inbox's `deadLetterTopicFor`. Default `<queue>.dlt`. */
  deadLetterQueueFor?: (queue: string) => string;
  /** Deliveries of one message (crashes, lost connections) before the broker dead-letters it. Default 20. */
  deliveryLimit?: number;
  /**
   * `false`: the queues, their bindings and dead-letter exchanges were declared beforehand (by
   * a deploy step with an admin user, as `declareInboxQueue` does), so the consumer's user
   * needs no `configure` permission; a missing queue then fails the start (NOT_FOUND) and is
   * retried. Default true: the consumer declares them at each start.
   */
  declareTopology?: boolean;
}

export const defaultQueueFor = (exchange: string, consumer: string): string => `${exchange}.${consumer}`;

export function inboxQueueTopology(exchange: string, consumer: string, settings: InboxQueueSettings = {}) {
  const queue = (settings.queueFor ?? defaultQueueFor)(exchange, consumer);
  return { exchange, queue, deadLetterQueue: (settings.deadLetterQueueFor ?? deadLetterTopicFor)(queue) };
}

/** A durable, replicated queue (a quorum queue). */
export const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } } as const;

/**
 * A dead-letter queue and a fanout exchange of the same name bound to it: the inbox publishes
 * its dead letters to that exchange, never through the default exchange, so a consumer's user
 * may write its own dead letters and nothing else (write on `amq.default` reaches every queue).
 */
export async function declareDeadLetterQueue(channel: Channel, name: string): Promise<void> {
  await channel.assertExchange(name, 'fanout', { durable: true });
  await channel.assertQueue(name, QUORUM);
  await channel.bindQueue(name, name, '');
}

/**
 * Declares (idempotently) the exchange, the consumer's quorum queue bound to every routing key
 * of it, and its dead-letter queue with its exchange. The queue is the subscription: messages published before it
 * exists are not kept for it, so declare it before producers publish (infra does, as does
 * `start`).
 *
 * - single active consumer: replicas of a consumer share the queue, one of them receives at a
 *   time, so one queue's messages are handled in order; the others take over when it goes.
 * - a delivery limit, after which the broker itself dead-letters a message that keeps coming
 *   back (a consumer crashing on it), at least once (`x-dead-letter-strategy`, which needs
 *   `x-overflow: reject-publish`).
 */
export async function declareInboxQueue(
  channel: Channel,
  topology: InboxQueueTopology,
  deliveryLimit = 20,
): Promise<void> {
  await channel.assertExchange(topology.exchange, 'topic', { durable: true });
  await declareDeadLetterQueue(channel, topology.deadLetterQueue);
  await channel.assertQueue(topology.queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-single-active-consumer': true,
      'x-delivery-limit': deliveryLimit,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': topology.deadLetterQueue,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  });
  await channel.bindQueue(topology.queue, topology.exchange, '#');
}
