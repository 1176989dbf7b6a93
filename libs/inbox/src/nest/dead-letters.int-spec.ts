import { Registry } from 'prom-client';
import { readTopic, waitFor } from '@shop/infra';
import { deadLetterTopicFor } from '../index';
import { InboxMetrics } from '../prometheus';
import { handlerControl } from '../../test/effects-handler';
import { envelope, inboxFixture } from '../../test/inbox-fixture';

describe('InboxServer dead letters (real PostgreSQL and Kafka)', () => {
  const f = inboxFixture('inbox-dlt-it');

  it('dead-letters every kind of bad message with its key, headers and cause, keeps consuming, counts it', async () => {
    const topic = await f.newTopic();
    const registry = new Registry();
    const server = await f.startConsumer(topic, { maxAttempts: 3, metrics: InboxMetrics.for(registry) });
    handlerControl.alwaysFailFor = 13;
    const good = envelope(4, { aggregateId: 'thing-8' }); // each record keyed by its envelope's aggregateId
    const bad: [string, string | Buffer, RegExp][] = [
      ['bytes that are not JSON', Buffer.from([0xde, 0xad, 0xbe, 0xef]), /^message value is not JSON$/],
      ['malformed JSON', '{"id": "x", "type": ', /^message value is not JSON$/],
      [
        'a 900 KB message',
        JSON.stringify(envelope(5, { aggregateId: 'thing-2', data: { n: 5, blob: 'x'.repeat(900 * 1024) } })),
        /exceeds 524288$/,
      ],
      [
        'an unknown type',
        JSON.stringify(envelope(6, { aggregateId: 'thing-3', type: 'thing.vanished.v1' })),
        /^no handler for event type "thing.vanished.v1"$/,
      ],
      [
        'a wrong version',
        JSON.stringify(envelope(7, { aggregateId: 'thing-4', type: 'thing.happened.v2' })),
        /^no handler for event type "thing.happened.v2"$/,
      ],
      [
        '__proto__ keys',
        JSON.stringify(envelope(8, { aggregateId: 'thing-5' })).replace(
          '"data":{',
          '"data":{"__proto__":{"polluted":true},',
        ),
        /forbidden key "__proto__"/,
      ],
      [
        'missing fields',
        JSON.stringify(envelope(9, { aggregateId: 'thing-6', data: {} })),
        /^invalid thing.happened.v1: data.n must be a number$/,
      ],
      // The handler's own error, though the handler has no exception filter.
      ['retries exhausted', JSON.stringify(envelope(13, { aggregateId: 'thing-7' })), /^handler refuses n=13$/],
    ];
    await f.producer.send({
      topic,
      acks: -1,
      messages: [...bad.map(([, value]) => value), JSON.stringify(good)].map((value, i) => ({
        key: `thing-${i}`,
        value,
        headers: { 'x-origin': 'inbox-it', traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
      })),
    });
    await waitFor('the good message after the bad ones', async () => (await f.effectsOf(good.id)).length === 1, 30_000);

    const reader = await readTopic(deadLetterTopicFor(topic));
    try {
      const dead = await reader.waitFor(bad.length);
      dead.forEach((m, i) => {
        const [name, value, cause] = bad[i];
        expect([name, m.headers?.['dlt-error']?.toString()]).toEqual([name, expect.stringMatching(cause)]);
        expect(m.value?.equals(Buffer.from(value))).toBe(true);
        expect([name, m.key?.toString(), m.headers?.['x-origin']?.toString()]).toEqual([
          name,
          `thing-${i}`,
          'inbox-it',
        ]);
        expect(m.headers?.['dlt-consumer']?.toString()).toMatch(/^inbox-dlt-it-/);
        expect(m.headers?.['dlt-original-topic']?.toString()).toBe(topic);
        expect(m.headers?.['dlt-original-partition']?.toString()).toBe('0');
        expect(m.headers?.['dlt-original-offset']?.toString()).toBe(String(i));
      });
      expect(dead[bad.length - 1].headers?.['dlt-attempts']?.toString()).toBe('3');
      expect(dead[0].headers?.['dlt-attempts']?.toString()).toBe('1');
    } finally {
      await reader.stop();
    }
    expect(server.stats).toMatchObject({ processed: 1, deadLettered: bad.length });
    const metrics = await registry.metrics();
    const sample = (name: string) =>
      Number(new RegExp(`^${name}\\{[^}]*topic="${topic}"[^}]*\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect({
      handled: sample('inbox_handled_total'),
      deadLettered: sample('inbox_dead_lettered_total'),
      retries: sample('inbox_retries_total'),
      handlerCalls: sample('inbox_handler_duration_seconds_count'),
    }).toEqual({ handled: 1, deadLettered: bad.length, retries: 2, handlerCalls: 1 });
  });

  it('dead-letters, unhandled, a record its key or headers contradict, and a type its topic does not carry', async () => {
    const topic = await f.newTopic();
    const eventsOn = (t: string) =>
      t === topic ? { producer: 'thing-service', types: ['thing.happened.v1'] } : undefined;
    const server = await f.startConsumer(topic, { eventsOn });
    const [noKey, wrongKey, wrongHeaders, alien, good] = [1, 2, 3, 4, 5].map((n) => envelope(n));
    const record = (e: typeof good, key: string | null, headers: Record<string, string> = {}) => ({
      key,
      value: JSON.stringify(e),
      headers: { id: e.id, type: e.type, aggregateType: e.aggregateType, aggregateId: e.aggregateId, ...headers },
    });
    await f.producer.send({
      topic,
      acks: -1,
      messages: [
        record(noKey, null),
        record(wrongKey, 'thing-2'),
        record(wrongHeaders, 'thing-1', { id: 'not-a-uuid', type: 'thing.vanished.v1' }),
        record({ ...alien, type: 'thing.stolen.v1' }, 'thing-1'),
        record(good, 'thing-1'),
      ],
    });
    await waitFor(
      'the good message after the forged ones',
      async () => (await f.effectsOf(good.id)).length === 1,
      30_000,
    );
    const reader = await readTopic(deadLetterTopicFor(topic));
    try {
      const dead = await reader.waitFor(4);
      expect(dead.map((m) => m.headers?.['dlt-error']?.toString())).toEqual([
        "the transport contradicts the envelope: the record key is missing (it must be the envelope's aggregateId)",
        "the transport contradicts the envelope: the record key is not the envelope's aggregateId",
        'the transport contradicts the envelope: header "id" is not the envelope\'s id; header "type" is not the envelope\'s type',
        'event type "thing.stolen.v1" is not carried by topic "' + topic + '" (produced by thing-service)',
      ]);
    } finally {
      await reader.stop();
    }
    const forged = [noKey, wrongKey, wrongHeaders, alien].map((e) => e.id);
    expect((await f.effects()).filter((e) => forged.includes(e.event_id))).toEqual([]);
    expect(server.stats).toMatchObject({ processed: 1, deadLettered: 4 });
  });

  it('sends dead letters where deadLetterTopicFor says', async () => {
    const topic = await f.newTopic();
    const parking = `${topic}.parking`;
    await f.startConsumer(topic, { deadLetterTopicFor: (t) => `${t}.parking` });
    const reader = await readTopic(parking);
    try {
      await f.send(topic, 'not json');
      const [dead] = await reader.waitFor(1);
      expect(dead.headers?.['dlt-error']?.toString()).toBe('message value is not JSON');
    } finally {
      await reader.stop();
    }
  });
});
