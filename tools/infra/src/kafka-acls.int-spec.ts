import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC, SHIPMENT_EVENTS_TOPIC } from '@shop/contracts';
import { applyAclPolicy, grantAcls } from './kafka-acls';
import { brokerLog } from './infra';
import { tryToWrite } from './kafka-probe';
import { waitFor } from './process-utils';
import { KafkaUser, kafkaBrokers, kafkaClient } from './settings';

const client = (user: KafkaUser, password?: string) =>
  new Kafka({
    ...kafkaClient(user),
    ...(password ? { sasl: { mechanism: 'scram-sha-512', username: user, password } } : {}),
    clientId: `acl-it-${user}`,
    logLevel: logLevel.NOTHING,
    // Refusals are not retried whatever this says; a slow connect on a busy machine is.
    connectionTimeout: 10_000,
  });

// The services' own clients, with a longer connect timeout on a busy machine.
const produce = (user: KafkaUser, topic: string) =>
  tryToWrite({ ...kafkaClient(user), connectionTimeout: 10_000 }, topic);

/** Joins `group` and reads `topic`; resolves with the error the consumer crashed on, or 'reading'. */
async function consume(user: KafkaUser, topic: string, group: string, retries = 5): Promise<string> {
  const consumer = client(user).consumer({ groupId: group, retry: { retries } });
  await consumer.connect();
  try {
    // A crash it restarts after (a coordinator still loading on a fresh broker) is not the answer.
    const crashed = new Promise<string>((resolve) =>
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart || retries === 0) resolve(`${e.payload.error.name}: ${e.payload.error.message}`);
      }),
    );
    const joined = new Promise<string>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve('joined')));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined }); // the service's offsets stay
    const fetched = new Promise<string>((resolve) => consumer.on(consumer.events.FETCH, () => resolve('reading')));
    return await Promise.race([crashed, joined.then(() => Promise.race([crashed, fetched]))]);
  } finally {
    await consumer.disconnect();
  }
}

const deniedInLog = (user: string, operation: string, resource: string) =>
  brokerLog().includes(
    `Principal = User:${user} is Denied operation = ${operation} from host = 127.0.0.1 on resource = ${resource}`,
  );

describe('Kafka authenticates every client and authorises each service by ACLs', () => {
  it('refuses a client without credentials', async () => {
    const producer = new Kafka({
      brokers: kafkaBrokers(),
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer();
    const sent = producer
      .connect()
      .then(() => producer.send({ topic: ORDER_EVENTS_TOPIC, messages: [{ value: 'anonymous' }] }));
    await expect(sent).rejects.toThrow(/Closed connection/);
    await producer.disconnect();
    // The broker closes the connection: a request other than SASL's before authenticating.
    expect(brokerLog()).toMatch(/Unexpected Kafka request of type METADATA during SASL handshake/);
  });

  it('refuses a wrong password', async () => {
    const admin = client('order-service', `wrong-${randomUUID()}`).admin();
    await expect(admin.connect()).rejects.toMatchObject({
      name: 'KafkaJSSASLAuthenticationError',
      message: expect.stringContaining('Authentication failed during authentication due to invalid credentials'),
    });
  });

  it.each<[KafkaUser, string]>([
    ['order-service', SHIPMENT_EVENTS_TOPIC],
    ['order-service', `${ORDER_EVENTS_TOPIC}.dlt`],
    ['shipping-service', ORDER_EVENTS_TOPIC],
    ['email-service', ORDER_EVENTS_TOPIC],
    ['email-service', SHIPMENT_EVENTS_TOPIC],
    ['connect', `${ORDER_EVENTS_TOPIC}.dlt`],
  ])('refuses %s a write to %s', async (user, topic) => {
    expect(await produce(user, topic)).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it.each<[KafkaUser, string]>([
    ['order-service', `${SHIPMENT_EVENTS_TOPIC}.dlt`],
    ['shipping-service', `${ORDER_EVENTS_TOPIC}.dlt`],
    ['email-service', `${ORDER_EVENTS_TOPIC}.dlt`],
    ['email-service', `${SHIPMENT_EVENTS_TOPIC}.dlt`],
  ])('lets %s write to %s', async (user, topic) => {
    // Writes to the event topics themselves are every e2e test's: a stray record there would be consumed.
    expect(await produce(user, topic)).toBe('written');
  });

  it.each<[KafkaUser, string]>([
    ['order-service', ORDER_EVENTS_TOPIC],
    ['shipping-service', SHIPMENT_EVENTS_TOPIC],
    ['email-service', `${ORDER_EVENTS_TOPIC}.dlt`],
    ['connect', ORDER_EVENTS_TOPIC],
  ])('refuses %s a read of %s, even in its own group', async (user, topic) => {
    expect(await consume(user, topic, user === 'connect' ? 'outbox-debezium' : user)).toBe(
      'KafkaJSNonRetriableError: Not authorized to access topics: [Topic authorization failed]',
    );
  });

  // The dashboard writes nowhere, so the broker refuses its producer before any topic comes up.
  it.each([ORDER_EVENTS_TOPIC, `${SHIPMENT_EVENTS_TOPIC}.dlt`])(
    'refuses the dashboard a write to %s',
    async (topic) => {
      expect(await produce('dashboard', topic)).toBe('CLUSTER_AUTHORIZATION_FAILED');
    },
  );

  it('lets the dashboard read the dead letters in its own group, and no other group', async () => {
    expect(await consume('dashboard', `${ORDER_EVENTS_TOPIC}.dlt`, 'dashboard')).toBe('reading');
    expect(await consume('dashboard', ORDER_EVENTS_TOPIC, 'email-service', 0)).toMatch(
      /KafkaJSGroupCoordinatorNotFound/,
    );
  });

  it('refuses a service the consumer group of another', async () => {
    // kafkajs reports only that no coordinator was found; the broker's log has the refusal.
    // Not retried: kafkajs would take the refusal for a coordinator still loading.
    expect(await consume('email-service', ORDER_EVENTS_TOPIC, 'order-service', 0)).toMatch(
      /KafkaJSGroupCoordinatorNotFound/,
    );
    await waitFor(
      'the refusal in the broker log',
      async () => deniedInLog('email-service', 'DESCRIBE', 'Group:LITERAL:order-service'),
      10_000,
    );
  });

  it.each<[KafkaUser, string]>([
    ['order-service', SHIPMENT_EVENTS_TOPIC],
    ['shipping-service', ORDER_EVENTS_TOPIC],
    ['email-service', ORDER_EVENTS_TOPIC],
    ['email-service', SHIPMENT_EVENTS_TOPIC],
  ])('lets %s read %s in its own group', async (user, topic) => {
    expect(await consume(user, topic, user)).toBe('reading');
  });

  it('takes back a grant acls.txt does not make, and keeps the ones it does', async () => {
    const topic = `acl-it-stray-${randomUUID()}`;
    const admin = client('admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await grantAcls([
        { user: 'order-service', operation: 'WRITE', resource: 'topic', name: topic, pattern: 'literal' },
      ]);
      expect(await produce('order-service', topic)).toBe('written');
      expect(await applyAclPolicy(admin)).toBeGreaterThanOrEqual(1); // other tests' own grants go too
      expect(await applyAclPolicy(admin)).toBe(0);
    } finally {
      await admin.disconnect();
    }
    expect(await produce('order-service', topic)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await produce('order-service', `${SHIPMENT_EVENTS_TOPIC}.dlt`)).toBe('written');
  });
});
