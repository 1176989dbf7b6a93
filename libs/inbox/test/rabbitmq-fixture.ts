/** What the inbox's RabbitMQ integration tests share: an exchange of their own on the real node. */
import { randomUUID } from 'node:crypto';
import { Channel, ChannelModel, connect, ConsumeMessage } from 'amqplib';
import { rabbitmqUrl, sleep } from '@shop/infra';
import { declareInboxQueue, inboxQueueTopology } from '../src/rabbitmq';

export async function rabbitmqExchange(prefix: string) {
  const exchange = `${prefix}-${randomUUID()}`;
  let connection: ChannelModel = await connect(rabbitmqUrl());
  connection.on('error', () => undefined); // the node may be stopped under it
  let channel: Channel = await connection.createConfirmChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queues: string[] = [];
  const deadLetterExchanges: string[] = [];

  const reopen = async () => {
    await connection.close().catch(() => undefined);
    connection = await connect(rabbitmqUrl());
    connection.on('error', () => undefined);
    channel = await connection.createConfirmChannel();
  };

  return {
    exchange,
    get channel() {
      return channel;
    },
    /** Publishes each value as the outbox would (routing key = type, message id = envelope id, headers), confirmed. */
    publish: async (...values: (string | Buffer)[]) => {
      for (const value of values) {
        let type = 'unknown';
        let id: string | undefined;
        let aggregateId: string | undefined;
        try {
          ({ type, id, aggregateId } = JSON.parse(value.toString()));
        } catch {
          // not JSON: published as it is, a poison message
        }
        channel.publish(exchange, type, Buffer.from(value), {
          persistent: true,
          messageId: id,
          headers: { id, type, aggregateId },
        });
      }
      await (channel as unknown as { waitForConfirms(): Promise<void> }).waitForConfirms();
    },
    /** Declares `consumer`'s queue as the adapter does, before anything is published. */
    declare: async (consumer: string, deliveryLimit?: number) => {
      const topology = inboxQueueTopology(exchange, consumer);
      await declareInboxQueue(channel, topology, deliveryLimit);
      queues.push(topology.queue, topology.deadLetterQueue);
      deadLetterExchanges.push(topology.deadLetterQueue);
      return topology;
    },
    /**
     * The next `n` messages of a queue, consumed and acknowledged (quorum queues with a single
     * active consumer refuse basic.get); fewer if they do not come within `timeoutMs`.
     */
    take: async (queue: string, n: number, timeoutMs = 30_000): Promise<ConsumeMessage[]> => {
      const got: ConsumeMessage[] = [];
      const { consumerTag } = await channel.consume(queue, (m) => m && got.length < n && got.push(m), { noAck: true });
      for (const deadline = Date.now() + timeoutMs; got.length < n && Date.now() < deadline;) await sleep(50);
      await channel.cancel(consumerTag);
      return got;
    },
    /** The consumers a queue has, asked on a connection of its own (a missing queue closes the channel). */
    consumers: async (queue: string): Promise<number> => {
      const probe = await connect(rabbitmqUrl());
      try {
        const channel = await probe.createChannel();
        channel.on('error', () => undefined); // the rejected check says it
        return (await channel.checkQueue(queue)).consumerCount;
      } catch {
        return 0;
      } finally {
        await probe.close().catch(() => undefined);
      }
    },
    reopen,
    remove: async () => {
      for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
      for (const x of [exchange, ...deadLetterExchanges]) await channel.deleteExchange(x).catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
