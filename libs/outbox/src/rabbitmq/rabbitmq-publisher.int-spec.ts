import { randomUUID } from 'node:crypto';
import { rabbitmqUrl, startRabbitmq, stopRabbitmq } from '@shop/infra';
import { boundQueue, ids } from '../../test/rabbitmq-queue';
import { OutboxRecord, PublishResult } from '../publisher';
import { RabbitMqPublisher } from './rabbitmq-publisher';
import { HELD_BACK } from './results';

const record = (exchange: string, key: string, n: number, type = 'order.placed.v1'): OutboxRecord => ({
  destination: exchange,
  key,
  value: JSON.stringify({ key, n }),
  headers: { id: `${key}-${n}`, type, aggregateType: 'order', aggregateId: key, correlationId: `corr-${key}` },
});
const published = { status: 'published' };

describe('RabbitMqPublisher (real RabbitMQ)', () => {
  let publisher: RabbitMqPublisher;
  let exchange: string;
  beforeEach(() => {
    publisher = new RabbitMqPublisher(rabbitmqUrl());
    exchange = `outbox-test-${randomUUID()}`;
  });
  afterEach(() => publisher.close());

  it('publishes a batch to a topic exchange, in order, as persistent messages keyed by event type', async () => {
    const queue = await boundQueue(exchange, '#', 'exclusive');
    try {
      const records = [
        record(exchange, 'a', 1),
        record(exchange, 'b', 1, 'order.cancelled.v1'),
        record(exchange, 'a', 2),
      ];
      expect(await publisher.publish(records)).toEqual([published, published, published]);
      const messages = await queue.take(3);
      expect(ids(messages)).toEqual(['a-1', 'b-1', 'a-2']);
      expect(await queue.empty()).toBe(true);
      messages.forEach((message, i) => {
        expect(message.fields).toMatchObject({ exchange, routingKey: records[i].headers.type });
        expect(message.properties).toMatchObject({
          deliveryMode: 2,
          contentType: 'application/json',
          headers: records[i].headers,
        });
        expect(message.content.toString()).toBe(records[i].value);
      });
    } finally {
      await queue.remove();
    }
  });

  it('refuses an unroutable record, holds back its aggregate, and publishes the others', async () => {
    const queue = await boundQueue(exchange, 'order.placed.v1', 'exclusive');
    try {
      const results = await publisher.publish([
        record(exchange, 'a', 1),
        record(exchange, 'b', 1, 'order.misspelt.v1'),
        record(exchange, 'c', 1),
        record(exchange, 'b', 2),
      ]);
      expect(results.map((r) => r.status)).toEqual(['published', 'refused', 'published', 'unavailable']);
      expect(results[1]).toMatchObject({ error: expect.stringContaining(`exchange "${exchange}"`) });
      expect(results[1]).toMatchObject({ error: expect.stringContaining('routing key "order.misspelt.v1"') });
      expect(results[3]).toEqual({ status: 'unavailable', error: HELD_BACK });
      // b-2 was on the wire before the return came back: the relay sends it again later.
      expect(ids(await queue.take(3))).toEqual(['a-1', 'c-1', 'b-2']);
      // A return leaves the channel open.
      expect(await publisher.publish([record(exchange, 'c', 2)])).toEqual([published]);
      expect(ids(await queue.take(1))).toEqual(['c-2']);
    } finally {
      await queue.remove();
    }
  });

  it('reports unavailable while the node is stopped, and connects again once it is back', async () => {
    await (await boundQueue(exchange, '#', 'quorum')).close(); // durable: it outlives the node's restart
    expect(await publisher.publish([record(exchange, 'a', 1)])).toEqual([published]);
    await stopRabbitmq();
    let whileDown: readonly PublishResult[];
    try {
      whileDown = await publisher.publish([record(exchange, 'a', 2), record(exchange, 'b', 1)]);
    } finally {
      await startRabbitmq();
    }
    expect(whileDown.map((r) => r.status)).toEqual(['unavailable', 'unavailable']);
    expect(await publisher.publish([record(exchange, 'a', 2), record(exchange, 'b', 1)])).toEqual([
      published,
      published,
    ]);
    const queue = await boundQueue(exchange, '#', 'quorum');
    try {
      expect(ids(await queue.take(3))).toEqual(['a-1', 'a-2', 'b-1']);
    } finally {
      await queue.remove();
    }
  }, 120_000);
});
