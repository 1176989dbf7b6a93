import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { grantAcls, kafkaBrokers, kafkaClient, runTs, sleep, waitFor } from '@shop/infra';
import { event, idOf, kafka, nOf, useRelayTestBed } from '../test/relay-test-bed';
import { expectRowsHeldWhileTheBrokerIsDown } from '../test/broker-outage';
import { runOutboxCli } from './cli/outbox-cli';
import { outboxSql, PendingRow } from './index';

describe('OutboxRelay: refused records, leaders and crashes (real PostgreSQL and Kafka)', () => {
  const bed = useRelayTestBed('relay_failures_it');

  it('holds back the aggregates a former leader left failing, and claims by reading about the rows it returns', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const events = (n: number) => Array.from({ length: n }, (_, j) => event(`agg-${j % 1000}`, j));
    for (let i = 0; i < 20; i++) await bed.commit(events(500));
    const former = bed.newRelay({ topicFor: () => topic });
    while ((await former.relayBatch()) > 0) await sleep(60);
    for (let i = 0; i < 20; i++) await bed.commit(events(500));
    // As the former leader would have left it: one aggregate waits behind a refused row.
    const [[failing]] = await bed.ds.query(
      `UPDATE outbox SET attempts = 1, next_attempt_at = now() + interval '1 hour'
        WHERE seq = (SELECT min(seq) FROM outbox WHERE published_at IS NULL AND aggregateid = 'agg-7')
        RETURNING seq`,
    );
    await bed.ds.query('ANALYZE outbox');

    const claimed: PendingRow[] = [];
    const relay = bed.newRelay({ topicFor: () => topic, hooks: { afterClaim: (rows) => void claimed.push(...rows) } });
    expect(await relay.relayBatch()).toBe(500);
    expect(claimed.some((r) => r.aggregateid === 'agg-8')).toBe(true);
    expect(claimed.some((r) => r.aggregateid === 'agg-7' && BigInt(r.seq) >= BigInt(failing.seq))).toBe(false);
    // 500 rows of about 250 bytes fill some 20 pages; checking the failing aggregates
    // with a subquery per row read hundreds more.
    const [{ 'QUERY PLAN': plan }] = await bed.ds.query(
      `EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ${outboxSql().claim}`,
      [500, [], former.scanFrom, JSON.stringify({ thing: { 'agg-7': failing.seq } })],
    );
    expect(plan[0].Plan['Shared Hit Blocks'] + plan[0].Plan['Shared Read Blocks']).toBeLessThan(200);
  });

  it('parks a record the broker refuses without holding back other aggregates, and re-queues it', async () => {
    const topic = `relay-it-${randomUUID()}`;
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }],
      waitForLeaders: true,
    });
    const reader = await bed.newReader(topic);
    const [x, y] = [`x-${randomUUID()}`, `y-${randomUUID()}`];
    const tooBig = event(x, 1, { blob: 'z'.repeat(50_000) });
    const afterBig = event(x, 2);
    const others = [event(y, 1), event(y, 2)];
    for (const e of [tooBig, afterBig, ...others]) await bed.commit([e]);

    const relay = bed.newRelay({ topicFor: () => topic, maxAttempts: 2, retryBackoffMs: 20, maxRetryBackoffMs: 50 });
    await relay.start();
    await reader.waitFor(2, (m) => String(m.key) === y);
    await waitFor('the big row parked', async () => (await bed.admin.listParked()).length === 1, 10_000);
    const [parked] = await bed.admin.listParked();
    expect(parked).toMatchObject({ id: tooBig.id, attempts: 2 });
    expect(parked.last_error).toMatch(/larger than the max message size/);
    await sleep(300);
    expect(reader.messages.filter((m) => String(m.key) === x)).toHaveLength(0); // x waits behind its parked row
    expect(await bed.admin.stats()).toMatchObject({ pending: 1, parked: 1 });

    await kafkaAdmin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [{ name: 'max.message.bytes', value: '1048588' }],
        },
      ],
    });
    await kafkaAdmin.disconnect();
    const cliOutput: string[] = [];
    expect(await runOutboxCli(['parked'], bed.url, (l) => cliOutput.push(l))).toBe(0);
    expect(cliOutput[0]).toContain(tooBig.id);
    expect(await runOutboxCli(['requeue', '--all'], bed.url, (l) => cliOutput.push(l))).toBe(0);
    expect(cliOutput[1]).toBe('requeued 1 row(s)');
    relay.wake();
    const xs = await reader.waitFor(2, (m) => String(m.key) === x);
    expect(xs.map(idOf)).toEqual([tooBig.id, afterBig.id]);
  });

  it('parks a row whose topic its Kafka user may not write, and publishes the rest', async () => {
    const [allowed, denied] = [`relay-acl-it-${randomUUID()}`, `relay-acl-it-${randomUUID()}`];
    const grant = {
      user: 'order-service',
      operation: 'WRITE',
      resource: 'topic',
      name: allowed,
      pattern: 'literal',
    } as const;
    const kafkaAdmin = kafka.admin();
    await kafkaAdmin.connect();
    await kafkaAdmin.createTopics({ topics: [allowed, denied].map((topic) => ({ topic, numPartitions: 1 })) });
    await kafkaAdmin.disconnect();
    await grantAcls([grant]);
    const reader = await bed.newReader(allowed);
    const [x, y] = [`x-${randomUUID()}`, `y-${randomUUID()}`];
    const refused = { ...event(x, 1), aggregateType: 'denied' };
    for (const e of [refused, event(y, 1), event(y, 2)]) await bed.commit([e]);

    const relay = bed.newRelay(
      {
        topicFor: (type) => (type === 'denied' ? denied : allowed),
        maxAttempts: 2,
        retryBackoffMs: 20,
        maxRetryBackoffMs: 50,
      },
      new Kafka({ ...kafkaClient('order-service'), logLevel: logLevel.NOTHING }),
    );
    await relay.start();
    expect((await reader.waitFor(2, (m) => String(m.key) === y)).map(nOf)).toEqual([1, 2]);
    await waitFor('the denied row parked', async () => (await bed.admin.listParked()).length === 1, 10_000);
    const [parked] = await bed.admin.listParked();
    expect(parked).toMatchObject({ id: refused.id, attempts: 2 });
    expect(parked.last_error).toMatch(/Not authorized to access topics/);
    await grantAcls([grant], true);
  });

  it('takes over from a leader that holds the lock but has gone silent', async () => {
    const name = randomUUID();
    const stuck = new Client({ ...bed.db.options, user: bed.db.options.username });
    await stuck.connect();
    stuck.on('error', () => undefined);
    const [{ locked }] = (
      await stuck.query('SELECT pg_try_advisory_lock(7345, hashtext($1) & 2147483647) AS locked', [name])
    ).rows;
    expect(locked).toBe(true);

    const relay = bed.newRelay({ name, topicFor: () => 'unused', leaderStaleAfterMs: 1000, standbyRetryMs: 200 });
    await relay.start();
    await waitFor('takeover', async () => relay.isLeader, 15_000);
    await expect(stuck.query('SELECT 1')).rejects.toThrow();
    await stuck.end().catch(() => undefined);
  });

  it.each([
    ['after publishing, before marking', 'after-publish', 2],
    ['after claiming, before publishing', 'after-claim', 1],
  ])('publishes every row when the relay is SIGKILLed %s', async (_when, failpoint, copies) => {
    const topic = `relay-it-${randomUUID()}`;
    const reader = await bed.newReader(topic);
    const events = [event('k', 1), event('k', 2), event('k', 3)];
    await bed.commit(events);

    const signal = await runTs('libs/outbox/test/relay-process.ts', {
      PG_URL: bed.url,
      KAFKA_BROKERS: kafkaBrokers().join(','),
      TOPIC: topic,
      FAILPOINT: failpoint,
    });
    expect(signal).toBe('SIGKILL');
    expect(await bed.pending()).toBe(3); // nothing was marked

    expect(await bed.newRelay({ topicFor: () => topic }).relayBatch()).toBe(3);
    expect(await bed.pending()).toBe(0);
    const messages = await reader.waitFor(3 * copies);
    await sleep(500);
    expect(messages).toHaveLength(3 * copies); // after-publish: each event twice, nothing lost
    expect(new Set(messages.map(idOf))).toEqual(new Set(events.map((e) => e.id)));
  });

  it(
    'holds rows while the broker is down and publishes them all when it returns',
    () => expectRowsHeldWhileTheBrokerIsDown(bed),
    120_000,
  );
});
