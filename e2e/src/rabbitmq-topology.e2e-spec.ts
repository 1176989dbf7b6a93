import { SUBSCRIPTIONS } from '@shop/contracts';
import { inboxQueues } from '@shop/infra';
import { inboxQueueTopology } from '@transactional-outbox/inbox/rabbitmq';

/**
 * tools/infra declares the services' RabbitMQ queues before they run, restating the inbox's
 * naming (it cannot import the inbox); a queue of another name would be left bound to the
 * exchange, filling up with events nobody reads.
 */
describe('the RabbitMQ queues tools/infra declares', () => {
  it('are the ones the services’ inboxes read', () => {
    const expected = Object.entries(SUBSCRIPTIONS).flatMap(([consumer, exchanges]) =>
      exchanges.map((exchange) => inboxQueueTopology(exchange, consumer)),
    );
    expect(inboxQueues()).toEqual(expected);
    expect(inboxQueues()).toHaveLength(4);
  });
});
