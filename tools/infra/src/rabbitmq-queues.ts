import { Channel, connect } from 'amqplib';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { rabbitmqUrl } from './settings';

export interface InboxQueue {
  readonly exchange: string;
  readonly queue: string;
  readonly deadLetterQueue: string;
}

/**
 * The inbox's RabbitMQ topology (`inboxQueueTopology`, `declareInboxQueue` in
 * libs/inbox/src/rabbitmq/topology.ts), restated: tools/infra cannot import the inbox, whose
 * integration tests import tools/infra. It cannot drift unnoticed: RabbitMQ refuses to
 * redeclare a queue with other arguments, which libs/inbox's RabbitMqInboxBroker integration
 * test does with `declareInboxQueue` (the services declare nothing: their users may not), and
 * e2e/src/rabbitmq-topology.e2e-spec.ts compares the names.
 */
export const inboxQueue = (exchange: string, consumer: string): InboxQueue => ({
  exchange,
  queue: `${exchange}.${consumer}`,
  deadLetterQueue: `${exchange}.${consumer}.dlt`,
});

const DELIVERY_LIMIT = 20;

async function declareInboxQueue(channel: Channel, { exchange, queue, deadLetterQueue }: InboxQueue) {
  await channel.assertExchange(exchange, 'topic', { durable: true });
  // The inbox publishes its dead letters to an exchange named as the queue (no default exchange).
  await channel.assertExchange(deadLetterQueue, 'fanout', { durable: true });
  await channel.assertQueue(deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(deadLetterQueue, deadLetterQueue, '');
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-single-active-consumer': true,
      'x-delivery-limit': DELIVERY_LIMIT,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': deadLetterQueue,
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    },
  });
  await channel.bindQueue(queue, exchange, '#');
}

/** Each service's queue on each exchange it consumes. */
export const inboxQueues = (): InboxQueue[] =>
  Object.entries(SUBSCRIPTIONS).flatMap(([consumer, exchanges]) =>
    exchanges.map((exchange) => inboxQueue(exchange, consumer)),
  );

/**
 * Declares the exchanges, the services' queues and their dead-letter queues before any service
 * runs, as `ensureKafka` creates Kafka's topics: an exchange drops what no queue is bound to,
 * and the relay gets such messages back as refused. Idempotent.
 */
export async function ensureInboxQueues(): Promise<InboxQueue[]> {
  const connection = await connect(rabbitmqUrl());
  try {
    const channel = await connection.createChannel();
    const queues = inboxQueues();
    for (const queue of queues) await declareInboxQueue(channel, queue);
    return queues;
  } finally {
    await connection.close();
  }
}
/** Ready messages and consumers of each service queue and its dead-letter queue, for `infra:status`. */
export async function describeInboxQueues(): Promise<string[]> {
  const connection = await connect(rabbitmqUrl());
  const check = async (queue: string) => {
    // The broker closes a channel whose check fails, so each check gets its own.
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      const { messageCount, consumerCount } = await channel.checkQueue(queue);
      await channel.close();
      return `${queue.padEnd(46)} ready ${messageCount}, consumers ${consumerCount}`;
    } catch {
      return `${queue.padEnd(46)} not declared`;
    }
  };
  try {
    const queues = inboxQueues().flatMap((t) => [t.queue, t.deadLetterQueue]);
    return await Promise.all(queues.map(check));
  } finally {
    await connection.close().catch(() => undefined);
  }
}
