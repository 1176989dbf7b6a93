/** What the RabbitMQ steps share: a connection of the bench's own, exchanges with a bound quorum queue. */
import { randomUUID } from 'node:crypto';
import { Channel, ChannelModel, connect } from 'amqplib';
import { rabbitmqUrl } from '@shop/infra';

/** A durable quorum queue, as the inbox's consumer queues are. */
export const QUORUM_QUEUE = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

export async function rabbitmqChannel(): Promise<{ connection: ChannelModel; channel: Channel }> {
  const connection = await connect(rabbitmqUrl());
  return { connection, channel: await connection.createChannel() };
}

export interface BoundExchange {
  exchange: string;
  /** Deletes the exchange and its queue. */
  remove(): Promise<void>;
}

/**
 * A durable topic exchange with one quorum queue bound to every routing key: the publisher
 * makes its messages mandatory, so an exchange without a queue would refuse them.
 */
export async function boundExchange(prefix: string): Promise<BoundExchange> {
  const exchange = `bench.${prefix}.${randomUUID().slice(0, 8)}`;
  const { connection, channel } = await rabbitmqChannel();
  try {
    await channel.assertExchange(exchange, 'topic', { durable: true });
    await channel.assertQueue(exchange, QUORUM_QUEUE);
    await channel.bindQueue(exchange, exchange, '#');
  } finally {
    await connection.close();
  }
  return { exchange, remove: () => removeRabbitmq([exchange], [exchange]) };
}

export async function removeRabbitmq(exchanges: string[], queues: string[]): Promise<void> {
  const { connection, channel } = await rabbitmqChannel();
  try {
    for (const queue of queues) await channel.deleteQueue(queue);
    for (const exchange of exchanges) await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
