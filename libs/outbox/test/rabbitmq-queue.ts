/** What the outbox's RabbitMQ integration tests share: queues of their own on the real node. */
import { connect, GetMessage } from 'amqplib';
import { rabbitmqUrl, sleep } from '@shop/infra';

async function openChannel() {
  const connection = await connect(rabbitmqUrl());
  connection.on('error', () => undefined); // the node may be stopped under it
  return { connection, channel: await connection.createChannel() };
}

/**
 * A queue of the test's own, bound to `exchange` for `pattern` on its own connection: exclusive,
 * or a durable quorum queue that outlives a restart of the node.
 */
export async function boundQueue(exchange: string, pattern: string, kind: 'exclusive' | 'quorum') {
  let { connection, channel } = await openChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } =
    kind === 'quorum'
      ? await channel.assertQueue(exchange, { durable: true, arguments: { 'x-queue-type': 'quorum' } })
      : await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, pattern);

  /**
   * The next `n` messages, waiting for them. Just after a restart a quorum queue answers a get
   * with an error that closes the connection until its member has recovered: open another.
   */
  const take = async (n: number, timeoutMs = 30_000): Promise<GetMessage[]> => {
    const got: GetMessage[] = [];
    for (const deadline = Date.now() + timeoutMs; got.length < n && Date.now() < deadline;) {
      try {
        const message = await channel.get(queue, { noAck: true });
        if (message) got.push(message);
        else await sleep(100);
      } catch {
        await connection.close().catch(() => undefined);
        await sleep(500);
        ({ connection, channel } = await openChannel());
      }
    }
    return got;
  };
  const remove = async () => {
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteExchange(exchange).catch(() => undefined);
    await connection.close().catch(() => undefined);
  };
  const close = () => connection.close();
  return { take, remove, close, empty: async () => (await channel.get(queue)) === false };
}

export const ids = (messages: GetMessage[]) => messages.map((m) => m.properties.messageId);
