import { connect } from 'amqplib';
import { SUBSCRIPTIONS } from '@shop/contracts';
import { declareInboxQueue, inboxQueueTopology, InboxQueueTopology } from '@transactional-outbox/inbox/rabbitmq';
import { rabbitmqUrl } from './settings';

/** Each service's queue on each exchange it consumes, named as its inbox names them. */
export const inboxQueues = (): InboxQueueTopology[] =>
  Object.entries(SUBSCRIPTIONS).flatMap(([consumer, exchanges]) =>
    exchanges.map((exchange) => inboxQueueTopology(exchange, consumer)),
  );

/**
 * Declares the exchanges, the services' queues and their dead-letter queues before any service
 * runs, as `ensureTopics` creates Kafka's topics: an exchange drops what no queue is bound to,
 * and the relay gets such messages back as refused. Idempotent, with the inbox's own arguments.
 */
export async function ensureInboxQueues(): Promise<InboxQueueTopology[]> {
  const connection = await connect(rabbitmqUrl());
  try {
    const channel = await connection.createChannel();
    const queues = inboxQueues();
    for (const topology of queues) await declareInboxQueue(channel, topology);
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
