import {
  Kafka,
  KafkaJSConnectionError,
  KafkaJSProtocolError,
  Message,
  Partitioners,
  ProducerBatch,
  ProducerConfig,
} from 'kafkajs';
import { OutboxRecord } from '../publisher';
import { KafkaJsPublisher, outboxProducerConfig, UNSENT } from './kafkajs-publisher';

const tooLarge = () =>
  new KafkaJSProtocolError({
    type: 'MESSAGE_TOO_LARGE',
    code: 10,
    message: 'too large',
    retriable: false,
  } as unknown as Error);

/**
 * A kafkajs client whose producer records each sendBatch and answers with `fail` (an error
 * to throw, or nothing). A unit test of the adapter's own logic; the integration tests
 * publish to a real broker.
 */
type Sent = Message & { topic: string };

/** Three partitions led by broker 1, as the partitioner sees them. */
const PARTITIONS = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: 1,
  partitionErrorCode: 0,
  replicas: [1],
  isr: [1],
}));

function fakeKafka(fail: (messages: Sent[]) => Error | undefined, skip: string[] = []) {
  const batches: Sent[][] = [];
  const configs: ProducerConfig[] = [];
  const acks: (number | undefined)[] = [];
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async (batch: ProducerBatch) => {
      acks.push(batch.acks);
      const messages: Sent[] = (batch.topicMessages ?? []).flatMap((t) =>
        t.messages.map((m) => ({ ...m, topic: t.topic })),
      );
      const error = fail(messages);
      if (error) throw error;
      batches.push(messages);
      // Each message placed by the producer's partitioner on one of three partitions, as kafkajs does.
      const partitioner = (configs[configs.length - 1].createPartitioner ?? Partitioners.DefaultPartitioner)();
      const placed = (batch.topicMessages ?? []).flatMap(({ topic, messages: list }) =>
        list.map((message) => ({ topic, partition: partitioner({ topic, partitionMetadata: PARTITIONS, message }) })),
      );
      return placed
        .filter(({ topic, partition }) => !skip.includes(`${topic}/${partition}`))
        .map(({ topic, partition }) => ({ topicName: topic, partition, errorCode: 0 }));
    },
  };
  const kafka = {
    producer: (config: ProducerConfig) => {
      configs.push(config);
      return producer;
    },
  } as unknown as Kafka;
  return { kafka, batches, configs, acks };
}

const record = (key: string, value: string, destination = 'orders'): OutboxRecord => ({
  destination,
  key,
  value,
  headers: { id: `${key}-${value}` },
});

describe('KafkaJsPublisher', () => {
  it('makes its producer of the given client with the relay settings, and sends one batch with acks=all', async () => {
    const { kafka, batches, configs, acks } = fakeKafka(() => undefined);
    const publisher = new KafkaJsPublisher(kafka);
    const results = await publisher.publish([record('a', '1'), record('b', '1', 'shipments'), record('a', '2')]);
    expect(results).toEqual([{ status: 'published' }, { status: 'published' }, { status: 'published' }]);
    expect(configs).toEqual([{ ...outboxProducerConfig, createPartitioner: expect.any(Function) }]);
    expect(outboxProducerConfig).toMatchObject({ idempotent: true, maxInFlightRequests: 1 });
    expect(batches).toHaveLength(1);
    // All in-sync replicas (on a cluster at least min.insync.replicas of them) have each batch.
    expect(acks).toEqual([-1]);
    expect(batches[0].map((m) => [m.topic, m.key, m.value, m.headers])).toEqual([
      ['orders', 'a', '1', { id: 'a-1' }],
      ['orders', 'a', '2', { id: 'a-2' }],
      ['shipments', 'b', '1', { id: 'b-1' }],
    ]);
  });

  it('reports every record unavailable when the broker is', async () => {
    const { kafka } = fakeKafka(() => new KafkaJSConnectionError('Connection error: ECONNREFUSED'));
    const results = await new KafkaJsPublisher(kafka).publish([record('a', '1'), record('b', '1')]);
    expect(results).toEqual([
      { status: 'unavailable', error: 'Connection error: ECONNREFUSED' },
      { status: 'unavailable', error: 'Connection error: ECONNREFUSED' },
    ]);
  });

  it('finds a refused record one by one, holding back the later records of its key only', async () => {
    const { kafka, batches } = fakeKafka((messages) =>
      messages.some((m) => m.value === 'big') ? tooLarge() : undefined,
    );
    const results = await new KafkaJsPublisher(kafka).publish([
      record('a', '1'),
      record('b', 'big'),
      record('a', '2'),
      record('b', '3'),
      record('b', '4', 'shipments'), // the same key elsewhere is another stream
    ]);
    expect(results.map((r) => r.status)).toEqual(['published', 'refused', 'published', 'unavailable', 'published']);
    expect(results[1]).toEqual({ status: 'refused', error: 'too large' });
    expect(batches.map((b) => b.map((m) => m.value))).toEqual([['1'], ['2'], ['4']]);
  });

  it('leaves the rest unsent when the broker goes away while it sends one by one', async () => {
    let sends = 0;
    const { kafka } = fakeKafka((messages) => {
      sends += 1;
      if (sends === 3) return new KafkaJSConnectionError('Connection closed');
      return messages.some((m) => m.value === 'big') ? tooLarge() : undefined;
    });
    const results = await new KafkaJsPublisher(kafka).publish([
      record('a', 'big'),
      record('b', '1'),
      record('c', '1'),
      record('d', '1'),
    ]);
    expect(results).toEqual([
      { status: 'refused', error: 'too large' },
      { status: 'unavailable', error: 'Connection closed' },
      { status: 'unavailable', error: 'Connection closed' },
      { status: 'unavailable', error: 'Connection closed' },
    ]);
  });

  it('refuses a lone record at once', async () => {
    const { kafka, batches } = fakeKafka(() => tooLarge());
    expect(await new KafkaJsPublisher(kafka).publish([record('a', 'big')])).toEqual([
      { status: 'refused', error: 'too large' },
    ]);
    expect(batches).toEqual([]);
  });

  it('starts a new producer after a send with an unknown outcome, and keeps it after a refusal', async () => {
    let sends = 0;
    const { kafka, configs } = fakeKafka((messages) => {
      sends += 1;
      if (sends === 1) return new KafkaJSConnectionError('Connection closed');
      return messages.some((m) => m.value === 'big') ? tooLarge() : undefined;
    });
    const publisher = new KafkaJsPublisher(kafka);
    expect((await publisher.publish([record('a', '1')])).map((r) => r.status)).toEqual(['unavailable']);
    expect(configs).toHaveLength(2); // a late write of that send cannot share sequence numbers with the next
    expect((await publisher.publish([record('a', 'big')])).map((r) => r.status)).toEqual(['refused']);
    expect((await publisher.publish([record('a', '1')])).map((r) => r.status)).toEqual(['published']);
    expect(configs).toHaveLength(2);
  });

  it('replaces its producer and sends again at once when the broker rejects its sequence numbers', async () => {
    let sends = 0;
    const { kafka, batches, configs } = fakeKafka(() =>
      ++sends === 1
        ? new KafkaJSProtocolError({
            type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
            code: 45,
            message: 'out of order',
            retriable: false,
          } as unknown as Error)
        : undefined,
    );
    const results = await new KafkaJsPublisher(kafka).publish([record('a', '1'), record('a', '2')]);
    expect(results).toEqual([{ status: 'published' }, { status: 'published' }]);
    expect(configs).toHaveLength(2);
    expect(batches.map((b) => b.map((m) => m.value))).toEqual([['1', '2']]);
  });

  it('leaves unpublished the records of a partition missing from the answer (kafkajs skipped its new leader)', async () => {
    const choose = Partitioners.DefaultPartitioner();
    const partitionOf = (key: string) =>
      choose({ topic: 'orders', partitionMetadata: PARTITIONS, message: { key, value: '' } });
    const other = ['b', 'c', 'd', 'e'].find((key) => partitionOf(key) !== partitionOf('a')) as string;
    const { kafka } = fakeKafka(() => undefined, [`orders/${partitionOf('a')}`]);
    const results = await new KafkaJsPublisher(kafka).publish([record('a', '1'), record(other, '1'), record('a', '2')]);
    expect(results).toEqual([
      { status: 'unavailable', error: UNSENT },
      { status: 'published' },
      { status: 'unavailable', error: UNSENT },
    ]);
  });
});
