import { OutboxRecord } from '../publisher';
import { ConfluentClientConfig, ConfluentKafka, ConfluentMessage } from './confluent-client';
import { ConfluentKafkaPublisher, confluentProducerConfig } from './confluent-publisher';

/** An error as the package reports a delivery failure: librdkafka's code, its name as `type`. */
const kafkaError = (code: number, message: string) => Object.assign(new Error(message), { code });
const tooLarge = () => kafkaError(10, 'Broker: Message size too large');

type Sent = ConfluentMessage & { topic: string };

/**
 * A client whose producers record each message sent and answer its delivery with `fail`
 * (an error, or nothing). A unit test of the adapter's own logic; the integration tests
 * publish to a real broker.
 */
function fakeKafka(fail: (message: Sent, sends: number) => Error | undefined, connectError?: Error) {
  const sent: Sent[] = [];
  const configs: ConfluentClientConfig[] = [];
  let sends = 0;
  const kafka: ConfluentKafka = {
    producer: (config) => {
      configs.push(config);
      return {
        connect: async () => {
          if (connectError && configs.length === 1) throw connectError;
        },
        disconnect: async () => undefined,
        send: async ({ topic, messages }) => {
          const message = { ...messages[0], topic };
          const error = fail(message, ++sends);
          if (error) throw error;
          sent.push(message);
          return [];
        },
      };
    },
  };
  return { kafka, sent, configs };
}

const record = (key: string, value: string, destination = 'orders'): OutboxRecord => ({
  destination,
  key,
  value,
  headers: { id: `${key}-${value}` },
});

describe('ConfluentKafkaPublisher', () => {
  it('makes its producer of the given client with the relay settings, and sends the records in order', async () => {
    const { kafka, sent, configs } = fakeKafka(() => undefined);
    const results = await new ConfluentKafkaPublisher(kafka).publish([record('a', '1'), record('b', '1', 'x')]);
    expect(results).toEqual([{ status: 'published' }, { status: 'published' }]);
    expect(configs).toEqual([confluentProducerConfig]);
    expect(confluentProducerConfig.kafkaJS).toMatchObject({ idempotent: true, acks: -1 });
    expect(sent.map((m) => [m.topic, m.key, m.value, m.headers])).toEqual([
      ['orders', 'a', '1', { id: 'a-1' }],
      ['x', 'b', '1', { id: 'b-1' }],
    ]);
  });

  it('reports the records whose delivery timed out unavailable, and the others published', async () => {
    const { kafka } = fakeKafka((m) => (m.key === 'b' ? kafkaError(-192, 'Local: Message timed out') : undefined));
    const results = await new ConfluentKafkaPublisher(kafka).publish([record('a', '1'), record('b', '1')]);
    expect(results).toEqual([{ status: 'published' }, { status: 'unavailable', error: 'Local: Message timed out' }]);
  });

  it('refuses a record refused alone, and publishes the others', async () => {
    const { kafka, sent } = fakeKafka((m) => (m.value === 'big' ? tooLarge() : undefined));
    const results = await new ConfluentKafkaPublisher(kafka).publish([record('a', '1'), record('b', 'big')]);
    expect(results).toEqual([{ status: 'published' }, { status: 'refused', error: 'Broker: Message size too large' }]);
    expect(sent.map((m) => m.value)).toEqual(['1']);
  });

  it('finds the record at fault one by one when the broker refused several, holding back later records of its key', async () => {
    // The first round refuses the whole partition batch (b's three records); alone, only 'big' is refused.
    const { kafka, sent } = fakeKafka((m, sends) =>
      m.key === 'b' && (sends <= 4 || m.value === 'big') ? tooLarge() : undefined,
    );
    const results = await new ConfluentKafkaPublisher(kafka).publish([
      record('a', '1'),
      record('b', '1'),
      record('b', 'big'),
      record('b', '3'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['published', 'published', 'refused', 'unavailable']);
    expect(sent.map((m) => m.value)).toEqual(['1', '1']);
  });

  it('starts a new producer when the broker rejects its sequence numbers, or it could not connect', async () => {
    const outOfOrder = fakeKafka((_, sends) => (sends === 1 ? kafkaError(45, 'Broker: Out of order') : undefined));
    const publisher = new ConfluentKafkaPublisher(outOfOrder.kafka);
    expect((await publisher.publish([record('a', '1')])).map((r) => r.status)).toEqual(['unavailable']);
    expect((await publisher.publish([record('a', '1')])).map((r) => r.status)).toEqual(['published']);
    expect(outOfOrder.configs).toHaveLength(2);

    const unreachable = fakeKafka(() => undefined, kafkaError(-187, 'Local: All broker connections are down'));
    const second = new ConfluentKafkaPublisher(unreachable.kafka);
    expect(await second.publish([record('a', '1')])).toEqual([
      { status: 'unavailable', error: 'Local: All broker connections are down' },
    ]);
    expect((await second.publish([record('a', '1')])).map((r) => r.status)).toEqual(['published']);
  });
});
