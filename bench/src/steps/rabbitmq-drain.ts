import { connect, Options } from 'amqplib';
import { rabbitmqUrl } from '@shop/infra';
import { PendingRow } from '@transactional-outbox/outbox';
import { RabbitMqPublisher } from '@transactional-outbox/outbox/rabbitmq';
import { boundExchange } from '../rabbitmq';
import { DrainBroker } from './relay-drain';

/**
 * Unconfirmed messages the baseline keeps on the wire: it publishes the next as each confirm
 * arrives instead of waiting for a whole batch, as a hand-written producer that needs no
 * per-batch bookkeeping would.
 */
export const CONFIRM_WINDOW = 1000;

/** The rows' messages as the RabbitMQ publisher sends them (rabbitmq-publisher.ts `send`). */
function messagesOf(rows: PendingRow[]) {
  return rows.map((r) => {
    const headers = {
      ...r.headers,
      id: r.id,
      type: r.type,
      aggregateType: r.aggregatetype,
      aggregateId: r.aggregateid,
    };
    const options: Options.Publish = {
      persistent: true,
      mandatory: true,
      messageId: r.id,
      contentType: 'application/json',
      headers,
    };
    return { routingKey: r.type, content: Buffer.from(r.payload), options };
  });
}

type Message = ReturnType<typeof messagesOf>[number];

/**
 * amqplib on one confirm channel, as Kafka's baseline sends: a batch of the relay's size at a
 * time, each batch confirmed before the next; a return (unroutable) or a nack fails the run.
 */
async function batchPublish(exchange: string, messages: Message[], batchSize: number): Promise<number> {
  const t0 = performance.now();
  const connection = await connect(rabbitmqUrl());
  try {
    const channel = await connection.createConfirmChannel();
    let returned = false;
    channel.on('return', () => (returned = true));
    for (let i = 0; i < messages.length; i += batchSize) {
      for (const { routingKey, content, options } of messages.slice(i, i + batchSize))
        channel.publish(exchange, routingKey, content, options);
      await channel.waitForConfirms();
      if (returned) throw new Error(`a message to ${exchange} was returned unroutable`);
    }
    return (performance.now() - t0) / 1000;
  } finally {
    await connection.close();
  }
}

/**
 * amqplib on one confirm channel with `CONFIRM_WINDOW` messages unconfirmed at most, pausing
 * while the socket buffer is full; a return (unroutable) or a nack fails the run.
 */
async function confirmedPublish(exchange: string, messages: Message[]): Promise<number> {
  const t0 = performance.now();
  const connection = await connect(rabbitmqUrl());
  try {
    const channel = await connection.createConfirmChannel();
    await new Promise<void>((resolve, reject) => {
      channel.on('return', () => reject(new Error(`a message to ${exchange} was returned unroutable`)));
      let next = 0;
      let confirmed = 0;
      let paused = false;
      const pump = () => {
        while (!paused && next < messages.length && next - confirmed < CONFIRM_WINDOW) {
          const { routingKey, content, options } = messages[next++];
          const onConfirm = (err: unknown) => {
            if (err) return reject(err instanceof Error ? err : new Error(`nack: ${String(err)}`));
            if (++confirmed === messages.length) resolve();
            else pump();
          };
          if (!channel.publish(exchange, routingKey, content, options, onConfirm)) {
            paused = true;
            channel.once('drain', () => {
              paused = false;
              pump();
            });
          }
        }
      };
      pump();
    });
    return (performance.now() - t0) / 1000;
  } finally {
    await connection.close();
  }
}

export const rabbitmqDrain: DrainBroker = {
  label: ', RabbitMQ',
  client: 'amqplib',
  baseline: 'amqplib, batches confirmed',
  async destination(prefix) {
    const bound = await boundExchange(prefix);
    return { name: bound.exchange, remove: bound.remove };
  },
  publisher: () => new RabbitMqPublisher(rabbitmqUrl()),
  rawSender(rows) {
    const messages = messagesOf(rows);
    return (exchange, batchSize) => batchPublish(exchange, messages, batchSize);
  },
  streaming: {
    baseline: `amqplib, ${CONFIRM_WINDOW} unconfirmed`,
    sender(rows) {
      const messages = messagesOf(rows);
      return (exchange) => confirmedPublish(exchange, messages);
    },
  },
};
