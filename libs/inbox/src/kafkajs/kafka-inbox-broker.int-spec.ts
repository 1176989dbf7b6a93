import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClient, sleep, startBroker, stopBroker, waitFor } from '@shop/infra';
import { handlerControl } from '../../test/effects-handler';
import { envelope, inboxFixture } from '../../test/inbox-fixture';
import { InboxServer } from '../nest';
import { KafkaInboxBroker } from './kafka-inbox-broker';

describe('KafkaInboxBroker (real PostgreSQL and Kafka)', () => {
  const f = inboxFixture('inbox-kafka-it');

  it('redelivers after a crash between the database commit and the offset commit, with one effect', async () => {
    const topic = await f.newTopic();
    const group = `crash-${randomUUID()}`;
    const e = envelope(20);
    await f.send(topic, JSON.stringify(e));
    const signal = await f.crashAfterFirstCommit(topic, group);
    expect(signal).toBe('SIGKILL');
    expect(await f.effectsOf(e.id)).toHaveLength(1); // the effect committed before the crash

    const server = await f.startConsumer(topic, { consumer: group });
    await waitFor('redelivery seen', async () => server.stats.duplicates === 1, 60_000);
    expect(server.stats.processed).toBe(0);
    expect(await f.effectsOf(e.id)).toHaveLength(1);
  });

  it('keeps its partition through a handler slower than the session timeout', async () => {
    const topic = await f.newTopic();
    handlerControl.delayMs = 9000;
    const server = await f.startConsumer(topic, { source: { sessionTimeoutMs: 6000 } });
    const broker = server.unwrap<KafkaInboxBroker>();
    await waitFor('consumer running', async () => broker.source.kafkaConsumer !== undefined, 30_000);
    const consumer = broker.source.kafkaConsumer!; // eslint-disable-line @typescript-eslint/no-non-null-assertion
    let joins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => (joins += 1));
    const e = envelope(30);
    await f.send(topic, JSON.stringify(e));
    await waitFor('slow event applied', async () => (await f.effectsOf(e.id)).length === 1, 30_000);
    handlerControl.delayMs = 0;
    const next = envelope(31);
    await f.send(topic, JSON.stringify(next));
    await waitFor('next event applied', async () => (await f.effectsOf(next.id)).length === 1, 30_000);
    expect(joins).toBe(0); // no rebalance since the consumer joined
    expect(server.stats).toMatchObject({ processed: 2, duplicates: 0 });
  }, 60_000);

  it('reports the broker missing at start-up and recovers when it comes, without a restart', async () => {
    const topic = await f.newTopic();
    await stopBroker();
    let server: InboxServer | undefined;
    try {
      server = await f.startConsumer(topic, { brokerDownAfterMs: 1000 });
      await sleep(1500);
      expect(await server.health()).toMatchObject({ up: false, reason: 'broker unreachable' });
    } finally {
      await startBroker();
    }
    const e = envelope(40);
    await f.send(topic, JSON.stringify(e));
    await waitFor('event applied after the broker came', async () => (await f.effectsOf(e.id)).length === 1, 90_000);
    expect(await server.health()).toMatchObject({ up: true, lag: 0 });
  }, 150_000);

  it('runs on a kafkajs client the application already has, and reads only new messages when told', async () => {
    const topic = await f.newTopic();
    const before = envelope(50);
    await f.send(topic, JSON.stringify(before));
    const kafka = new Kafka({ clientId: 'the-apps-own', ...kafkaClient(), logLevel: logLevel.NOTHING });
    const broker = new KafkaInboxBroker({ kafka, topics: [topic], fromBeginning: false });
    const server = await f.run(f.server(topic, { broker }));
    await waitFor('consumer running', async () => broker.source.kafkaConsumer !== undefined, 30_000);
    // A new group without fromBeginning starts at the end it finds on its first fetch.
    let fetched = false;
    broker.source.kafkaConsumer?.on(broker.source.kafkaConsumer.events.FETCH, () => (fetched = true));
    await waitFor('a first fetch', async () => fetched, 30_000);
    const after = envelope(51);
    await f.send(topic, JSON.stringify(after));
    await waitFor('the new event applied', async () => (await f.effectsOf(after.id)).length === 1, 30_000);
    expect(await f.effectsOf(before.id)).toEqual([]);
    expect(server.stats).toMatchObject({ processed: 1, deadLettered: 0 });
  });
});
