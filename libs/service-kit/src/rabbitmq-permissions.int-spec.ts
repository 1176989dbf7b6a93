import { randomUUID } from 'node:crypto';
import { ChannelModel, ConfirmChannel, connect } from 'amqplib';
import { RabbitmqServiceUser, rabbitmqUrl, settings } from '@shop/infra';
import { messagingFor } from './messaging';

/**
 * The users infra/rabbitmq/users.sh gives the services, on the real node: each may publish to
 * its own exchange, read its own queues and write its own dead letters, with the publisher and
 * dead-letter sink the services use (which declare nothing); everything else the broker refuses.
 */
type Service = RabbitmqServiceUser;
// The project's exchanges and who reads them (libs/contracts, which service-kit may not import).
const ORDER_EVENTS_TOPIC = 'outbox.event.order';
const SHIPMENT_EVENTS_TOPIC = 'outbox.event.shipment';
const SUBSCRIPTIONS: Record<Service, string[]> = {
  'order-service': [SHIPMENT_EVENTS_TOPIC],
  'shipping-service': [ORDER_EVENTS_TOPIC],
  'email-service': [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC],
};
const DLT = '.dlt';
const queueOf = (exchange: string, service: Service) => `${exchange}.${service}`;
/** The broker's refusal; RabbitMQ 3.10 leaves out which access (`write access to…` in later ones). */
const refused = (access: string, kind: string, name: string, user: string) =>
  new RegExp(
    `^Channel closed by server: 403 \\(ACCESS-REFUSED\\) with message "ACCESS_REFUSED - (${access} )?access to ${kind} '${name.replaceAll('.', '\\.')}' in vhost '/' refused for user '${user}'"$`,
  );

const opened: ChannelModel[] = [];
async function channelAs(service?: Service): Promise<{ channel: ConfirmChannel; closed: Promise<string> }> {
  const connection = await connect(rabbitmqUrl(service));
  opened.push(connection);
  const channel = await connection.createConfirmChannel();
  // The broker answers a refused operation by closing the channel with the reason.
  const closed = new Promise<string>((resolve) => channel.on('error', (err: Error) => resolve(err.message)));
  return { channel, closed };
}

/** What the broker answers `service` publishing to `exchange` (routing key `routingKey`). */
async function publishAs(service: Service, exchange: string, routingKey = 'order.placed.v1'): Promise<string> {
  const { channel, closed } = await channelAs(service);
  channel.publish(exchange, routingKey, Buffer.from('{}'), { persistent: true });
  return Promise.race([channel.waitForConfirms().then(() => 'confirmed'), closed]);
}

/**
 * Consumes `queue` as `service` (the admin if none) until the message `messageId` comes,
 * acknowledging what it reads; or the broker's refusal.
 */
async function takeAs(service: Service | undefined, queue: string, messageId: string): Promise<string> {
  const { channel, closed } = await channelAs(service);
  const taken = new Promise<string>((resolve) => {
    channel
      .consume(queue, (message) => {
        if (!message) return;
        channel.ack(message);
        if (message.properties.messageId === messageId) resolve(`got ${messageId}`);
      })
      .catch(() => undefined); // a refusal closes the channel: `closed` has the reason
  });
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('nothing came'), 5_000).unref());
  const outcome = await Promise.race([taken, closed, timeout]);
  await channel.close().catch(() => undefined);
  return outcome;
}

async function connectError(url: string): Promise<string> {
  try {
    await (await connect(url)).close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

const config = (service: Service) => ({ BROKER: 'rabbitmq' as const, RABBITMQ_URL: rabbitmqUrl(service) });
const record = (exchange: string) => {
  const id = randomUUID();
  return { destination: exchange, key: id, value: '{}', headers: { id, type: 'test.permissions.v1' } };
};

describe('RabbitMQ users per service (real node)', () => {
  afterAll(() => Promise.all(opened.map((c) => c.close().catch(() => undefined))));

  const produces: Record<Service, string | undefined> = {
    'order-service': ORDER_EVENTS_TOPIC,
    'shipping-service': SHIPMENT_EVENTS_TOPIC,
    'email-service': undefined,
  };

  it.each(['order-service', 'shipping-service'] as const)(
    '%s publishes to its exchange with the relay’s publisher; each consumer reads it from its own queue',
    async (service) => {
      const exchange = produces[service] as string;
      const publisher = messagingFor(config(service), 'permissions-it').publisher();
      try {
        const outgoing = record(exchange);
        expect(await publisher.publish([outgoing])).toEqual([{ status: 'published' }]);
        const readers = Object.entries(SUBSCRIPTIONS)
          .filter(([, topics]) => topics.includes(exchange))
          .map(([reader]) => reader as Service);
        for (const reader of readers)
          expect(await takeAs(reader, queueOf(exchange, reader), outgoing.headers.id)).toBe(
            `got ${outgoing.headers.id}`,
          );
      } finally {
        await publisher.close();
      }
    },
  );

  it.each(Object.entries(SUBSCRIPTIONS) as [Service, string[]][])(
    '%s writes its own dead letters with the inbox’s sink',
    async (service, topics) => {
      const broker = messagingFor(config(service), 'permissions-it').inboxBroker(topics);
      try {
        for (const topic of topics) {
          const deadLetterQueue = queueOf(topic, service) + DLT;
          const id = randomUUID();
          await broker.deadLetters.send(deadLetterQueue, { key: null, value: Buffer.from('{}'), headers: { id } });
          // Read back as the admin: the services never read their dead letters.
          expect(await takeAs(undefined, deadLetterQueue, id)).toBe(`got ${id}`);
        }
      } finally {
        await broker.deadLetters.close();
      }
    },
  );

  it('refuses a publish to an exchange a service does not own', async () => {
    expect(await publishAs('order-service', SHIPMENT_EVENTS_TOPIC)).toMatch(
      refused('write', 'exchange', SHIPMENT_EVENTS_TOPIC, 'order-service'),
    );
    expect(await publishAs('shipping-service', ORDER_EVENTS_TOPIC)).toMatch(
      refused('write', 'exchange', ORDER_EVENTS_TOPIC, 'shipping-service'),
    );
    for (const exchange of [ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC])
      expect(await publishAs('email-service', exchange)).toMatch(
        refused('write', 'exchange', exchange, 'email-service'),
      );
  });

  it('refuses dead letters into another service’s dead-letter queue, and anything through the default exchange', async () => {
    const theirs = queueOf(ORDER_EVENTS_TOPIC, 'email-service') + DLT;
    expect(await publishAs('shipping-service', theirs)).toMatch(
      refused('write', 'exchange', theirs, 'shipping-service'),
    );
    // Straight into shipping-service's queue, bypassing the exchanges.
    const queue = queueOf(ORDER_EVENTS_TOPIC, 'shipping-service');
    expect(await publishAs('email-service', '', queue)).toMatch(
      refused('write', 'exchange', 'amq.default', 'email-service'),
    );
  });

  it('refuses consuming another service’s queue', async () => {
    const emails = queueOf(ORDER_EVENTS_TOPIC, 'email-service');
    expect(await takeAs('shipping-service', emails, 'none')).toMatch(
      refused('read', 'queue', emails, 'shipping-service'),
    );
    const shipping = queueOf(ORDER_EVENTS_TOPIC, 'shipping-service');
    expect(await takeAs('order-service', shipping, 'none')).toMatch(
      refused('read', 'queue', shipping, 'order-service'),
    );
    const deadLetters = queueOf(SHIPMENT_EVENTS_TOPIC, 'email-service') + DLT;
    expect(await takeAs('email-service', deadLetters, 'none')).toMatch(
      refused('read', 'queue', deadLetters, 'email-service'),
    );
  });

  it('refuses a service declaring or deleting anything, even its own queue', async () => {
    const own = await channelAs('email-service');
    void own.channel.assertExchange(ORDER_EVENTS_TOPIC, 'topic', { durable: true }).catch(() => undefined);
    expect(await own.closed).toMatch(refused('configure', 'exchange', ORDER_EVENTS_TOPIC, 'email-service'));
    const queue = queueOf(ORDER_EVENTS_TOPIC, 'email-service');
    const again = await channelAs('email-service');
    void again.channel.deleteQueue(queue).catch(() => undefined);
    expect(await again.closed).toMatch(refused('configure', 'queue', queue, 'email-service'));
  });

  it('refuses a wrong password, the image’s guest and the user every service shared before', async () => {
    const loginRefused =
      'Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN.';
    const { host, rabbitmq } = settings;
    for (const [user, password] of [
      ['order-service', 'wrong'],
      ['guest', 'guest'],
      ['outbox', 'outbox_dev'],
    ])
      expect(await connectError(`amqp://${user}:${password}@${host}:${rabbitmq.port}`)).toContain(loginRefused);
  });
});
