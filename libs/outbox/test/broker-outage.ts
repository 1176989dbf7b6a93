import { randomUUID } from 'node:crypto';
import { sleep, startBroker, stopBroker, waitFor } from '@shop/infra';
import { OutboxPublisher } from '../src';
import { event, idOf, RelayTestBed } from './relay-test-bed';

/**
 * The relay through `publisher` (the kafkajs one by default) holds rows while the broker is
 * stopped, and publishes them all when it returns. Both Kafka publishers' tests run it.
 */
export async function expectRowsHeldWhileTheBrokerIsDown(bed: RelayTestBed, publisher?: OutboxPublisher) {
  const topic = `relay-it-${randomUUID()}`;
  const relay = bed.newRelay({ topicFor: () => topic, retryBackoffMs: 100, maxRetryBackoffMs: 1000 }, publisher);
  await relay.start();
  const before = Array.from({ length: 100 }, (_, i) => event(`agg-${i % 7}`, i));
  await bed.commit(before);
  await waitFor('first half published', async () => (await bed.pending()) === 0, 20_000);

  await stopBroker();
  const during = Array.from({ length: 100 }, (_, i) => event(`agg-${i % 7}`, 100 + i));
  try {
    await bed.commit(during);
    await sleep(2000);
    expect(await bed.pending()).toBe(100);
  } finally {
    await startBroker();
  }
  await waitFor('second half published', async () => (await bed.pending()) === 0, 60_000);
  const reader = await bed.newReader(topic);
  const messages = await reader.waitFor(200);
  expect(new Set(messages.map(idOf))).toEqual(new Set([...before, ...during].map((e) => e.id)));
}
