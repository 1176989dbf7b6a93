import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { event, useRelayTestBed } from '../test/relay-test-bed';
import { OutboxTransactionError } from './index';

describe('outbox (real PostgreSQL and Kafka)', () => {
  const bed = useRelayTestBed('outbox_it');
  const topic = `outbox-it-${randomUUID()}`;

  const total = async () => Number((await bed.ds.query('SELECT count(*) FROM outbox'))[0].count);

  it('refuses to add outside a transaction and writes nothing', async () => {
    await expect(bed.outbox.add(event('a', 1), bed.ds.manager)).rejects.toBeInstanceOf(OutboxTransactionError);
    expect(await total()).toBe(0);
  });

  it('writes nothing when the business transaction rolls back', async () => {
    await expect(
      bed.ds.transaction(async (manager) => {
        await bed.outbox.add([event('b', 1), event('b', 2)], manager);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await total()).toBe(0);
  });

  it('publishes committed rows with key, headers and envelope, then marks them published', async () => {
    const reader = await bed.newReader(topic);
    const aggregateId = randomUUID();
    const events = [event(aggregateId, 1), event(aggregateId, 2), event(aggregateId, 3)];
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await bed.ds.transaction((manager) => bed.outbox.add(events, manager, { headers: { traceparent } }));
    expect(await bed.pending()).toBe(3);

    expect(await bed.newRelay({ topicFor: () => topic }).relayBatch()).toBe(3);
    expect(await bed.pending()).toBe(0);

    const received = await reader.waitFor(3, (m) => String(m.key) === aggregateId, 20_000);
    const header = (name: string) => received.map((m) => m.headers?.[name]?.toString());
    expect(received.map((m) => m.key?.toString())).toEqual([aggregateId, aggregateId, aggregateId]);
    expect(header('id')).toEqual(events.map((e) => e.id));
    expect(header('type')).toEqual(events.map((e) => e.type));
    expect(header('aggregateType')).toEqual(['thing', 'thing', 'thing']);
    expect(header('aggregateId')).toEqual([aggregateId, aggregateId, aggregateId]);
    expect(header('correlationId')).toEqual(['corr-1', 'corr-2', 'corr-3']);
    expect(header('traceparent')).toEqual([traceparent, traceparent, traceparent]);
    expect(header('occurredAt')).toEqual(events.map((e) => e.occurredAt));
    expect(received.map((m) => JSON.parse(String(m.value)))).toEqual(events);
  });

  it('leaves rows unpublished when the broker cannot be reached, and publishes them later', async () => {
    await bed.commit([event(randomUUID(), 1)]);
    const unreachable = new Kafka({
      clientId: 'outbox-it-down',
      brokers: ['127.0.0.1:1'],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 500,
    });
    const broken = bed.newRelay({ topicFor: () => topic }, unreachable);
    await expect(broken.relayBatch()).rejects.toThrow();
    expect(await bed.pending()).toBe(1);

    expect(await bed.newRelay({ topicFor: () => topic }).relayBatch()).toBe(1);
    expect(await bed.pending()).toBe(0);
  });
});
