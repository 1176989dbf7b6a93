import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { kafkaClient, sleep, waitFor } from '@shop/infra';
import { event, idOf, kafka, nOf, useRelayTestBed } from '../../test/relay-test-bed';
import { expectRowsHeldWhileTheBrokerIsDown } from '../../test/broker-outage';
import { ConfluentKafkaPublisher } from './index';

/**
 * The librdkafka adapter on the real broker (SASL/SCRAM, ACLs), as the relay drives it.
 * Needs `@confluentinc/kafka-javascript` built (`.ci/run` and the README's install say how).
 */
describe('ConfluentKafkaPublisher (real Kafka through @confluentinc/kafka-javascript)', () => {
  const bed = useRelayTestBed('confluent_publisher_it');
  const publishers: ConfluentKafkaPublisher[] = [];
  const newPublisher = () => {
    const publisher = new ConfluentKafkaPublisher({ kafkaJS: { ...kafkaClient(), logLevel: logLevel.NOTHING } });
    publishers.push(publisher);
    return publisher;
  };
  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.close()));
  });

  it('publishes a batch once the broker has it, with its keys and headers, in order per key', async () => {
    const topic = `confluent-it-${randomUUID()}`;
    const records = Array.from({ length: 50 }, (_, i) => ({
      destination: topic,
      key: `agg-${i % 3}`,
      value: JSON.stringify({ data: { n: i } }),
      headers: { id: `event-${i}`, type: 'thing.happened.v1' },
    }));
    const results = await newPublisher().publish(records);
    expect(results.every((r) => r.status === 'published')).toBe(true);
    const messages = await (await bed.newReader(topic)).waitFor(50);
    for (const key of ['agg-0', 'agg-1', 'agg-2']) {
      const ns = messages.filter((m) => String(m.key) === key).map(nOf);
      expect(ns).toEqual([...ns].sort((a, b) => a - b));
    }
    expect(new Set(messages.map(idOf))).toEqual(new Set(records.map((r) => r.headers.id)));
    expect(messages.find((m) => idOf(m) === 'event-7')?.headers?.type?.toString()).toBe('thing.happened.v1');
  });

  it('parks a record the broker refuses while the other aggregates flow', async () => {
    const topic = `confluent-it-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    const reader = await bed.newReader(topic);
    const [x, y] = [`x-${randomUUID()}`, `y-${randomUUID()}`];
    const tooBig = event(x, 1, { blob: 'z'.repeat(50_000) });
    for (const e of [tooBig, event(x, 2), event(y, 1), event(y, 2)]) await bed.commit([e]);

    const relay = bed.newRelay(
      { topicFor: () => topic, maxAttempts: 2, retryBackoffMs: 20, maxRetryBackoffMs: 50 },
      newPublisher(),
    );
    await relay.start();
    await reader.waitFor(2, (m) => String(m.key) === y);
    await waitFor('the big row parked', async () => (await bed.admin.listParked()).length === 1, 20_000);
    const [parked] = await bed.admin.listParked();
    expect(parked).toMatchObject({ id: tooBig.id, attempts: 2 });
    expect(parked.last_error).toMatch(/too large/i);
    await sleep(300);
    expect(reader.messages.filter((m) => String(m.key) === x)).toHaveLength(0); // x waits behind its parked row
    expect(await bed.admin.stats()).toMatchObject({ pending: 1, parked: 1 });
  }, 60_000);

  it(
    'holds rows while the broker is down and publishes them all when it returns',
    () => expectRowsHeldWhileTheBrokerIsDown(bed, newPublisher()),
    120_000,
  );
});
