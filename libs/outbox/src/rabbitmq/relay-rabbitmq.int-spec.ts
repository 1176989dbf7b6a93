import { randomUUID } from 'node:crypto';
import { rabbitmqUrl, sleep, waitFor } from '@shop/infra';
import { boundQueue, ids } from '../../test/rabbitmq-queue';
import { event, useRelayTestBed } from '../../test/relay-test-bed';
import { OutboxRelay } from '../relay/outbox-relay';
import { RabbitMqPublisher } from './rabbitmq-publisher';

describe('OutboxRelay through RabbitMQ (real PostgreSQL and RabbitMQ)', () => {
  const bed = useRelayTestBed('relay_rabbitmq_it');

  it('publishes committed rows to the bound queue and parks an unroutable one while other aggregates flow', async () => {
    const exchange = `outbox-test-${randomUUID()}`;
    const queue = await boundQueue(exchange, 'thing.happened.v1', 'exclusive');
    const [x, y] = [`x-${randomUUID()}`, `y-${randomUUID()}`];
    const misrouted = { ...event(x, 1), type: 'thing.misrouted.v1' };
    const afterIt = event(x, 2);
    const others = [event(y, 1), event(y, 2)];
    for (const e of [misrouted, afterIt, ...others]) await bed.commit([e]);

    const relay = new OutboxRelay(bed.ds, new RabbitMqPublisher(rabbitmqUrl()), {
      name: randomUUID(),
      pollIntervalMs: 50,
      topicFor: () => exchange,
      maxAttempts: 2,
      retryBackoffMs: 20,
      maxRetryBackoffMs: 50,
    });
    await relay.start();
    try {
      await waitFor('the misrouted row parked', async () => (await bed.admin.listParked()).length === 1, 10_000);
      const [parked] = await bed.admin.listParked();
      expect(parked).toMatchObject({ id: misrouted.id, attempts: 2 });
      expect(parked.last_error).toContain('routing key "thing.misrouted.v1"');
      await sleep(300);
      // y's rows are published; x-2 waits behind its parked row, though the first batch put a copy on the queue.
      expect(await bed.admin.stats()).toMatchObject({ pending: 1, parked: 1 });
      expect(ids(await queue.take(3, 3_000))).toEqual([afterIt.id, ...others.map((e) => e.id)]);
    } finally {
      await relay.stop();
      await queue.remove();
    }
  });
});
