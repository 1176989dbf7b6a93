import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { readWholeTopic, sleep, waitFor } from '@shop/infra';
import { event, idOf, nOf, useRelayTestBed } from '../test/relay-test-bed';
import { LeaderSampler, ShardRelayProcess } from '../test/shard-relays';
import { shardOf } from './index';
import { outboxTable } from './outbox-table';
import { RelaySession } from './relay/relay-session';
import { leaderLockName } from './relay/shards';

/** Events committed by a writer, per aggregate in order (`n` = 0, 1, 2…). */
class Writer {
  readonly sent = new Map<string, string[]>();
  private running = true;
  private loop?: Promise<void>;
  private readonly aggregates = Array.from({ length: 60 }, () => randomUUID());
  private readonly busy = new Set<string>();

  constructor(private readonly commit: (events: ReturnType<typeof event>[]) => Promise<void>) {}

  /** Commits rounds of 3 events for each of 6 random aggregates (concurrently), a round every 10 ms or so. */
  start(): void {
    this.loop = (async () => {
      while (this.running) {
        await Promise.all(Array.from({ length: 6 }, () => this.commitSome()));
        await sleep(10); // leaves the relays' processes some of the machine's two cores
      }
    })();
  }

  async once(rounds: number): Promise<void> {
    for (let i = 0; i < rounds; i++) await Promise.all(Array.from({ length: 6 }, () => this.commitSome()));
  }

  stop(): Promise<void> {
    this.running = false;
    return this.loop ?? Promise.resolve();
  }

  get count(): number {
    return [...this.sent.values()].reduce((n, ids) => n + ids.length, 0);
  }

  /** One aggregate's next 3 events, in one transaction; never two at once for an aggregate (their order would be the commits'). */
  private async commitSome(): Promise<void> {
    const free = this.aggregates.filter((a) => !this.busy.has(a));
    const aggregate = free[Math.floor(Math.random() * free.length)];
    this.busy.add(aggregate);
    try {
      const ids = this.sent.get(aggregate) ?? [];
      const events = [0, 1, 2].map((i) => event(aggregate, ids.length + i));
      await this.commit(events);
      this.sent.set(aggregate, [...ids, ...events.map((e) => e.id)]);
    } finally {
      this.busy.delete(aggregate);
    }
  }
}

describe('OutboxRelay with shards: relay processes share them (real PostgreSQL and Kafka)', () => {
  const bed = useRelayTestBed('relay_shards_it');
  const running: ShardRelayProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
  });

  const relayProcess = (shards: number, name: string, topic: string) => {
    const p = new ShardRelayProcess(shards, { PG_URL: bed.url, TOPIC: topic, NAME: name });
    running.push(p);
    return p;
  };

  async function connect(): Promise<Client> {
    const client = new Client({ ...bed.db.options, user: bed.db.options.username });
    await client.connect();
    client.on('error', () => undefined);
    return client;
  }

  /** A session holding what the leader of shard 1 of 2 holds: its leader lock and the 2-shard count key. */
  async function leaderOfShard1Of2(name: string): Promise<Client> {
    const client = await connect();
    await client.query(
      `SELECT pg_advisory_lock(7345, hashtext($1 || '/1-of-2') & 2147483647),
              pg_advisory_lock_shared(7346, hashtext($1 || '/of-2') & 2147483647)`,
      [name],
    );
    return client;
  }

  /** Every event on the topic, each aggregate's in the order committed (first copies; SIGKILL may add some). */
  async function expectAllInOrder(topic: string, writer: Writer): Promise<void> {
    await waitFor('all published', async () => (await bed.pending()) === 0, 120_000);
    const messages = await readWholeTopic(topic);
    expect(new Set(messages.map(idOf)).size).toBe(writer.count);
    for (const [aggregate, ids] of writer.sent) {
      const firstSeen: number[] = [];
      for (const m of messages.filter((x) => String(x.key) === aggregate))
        if (!firstSeen.includes(nOf(m))) firstSeen.push(nOf(m));
      expect([aggregate, firstSeen]).toEqual([aggregate, ids.map((_, i) => i)]);
    }
  }

  it('matches shardOf with the claim filter of PostgreSQL for many ids', async () => {
    const ids = [
      ...Array.from({ length: 2000 }, () => randomUUID()),
      ...Array.from({ length: 500 }, (_, i) => `order-${i}`),
      'é✓',
      '',
    ];
    for (const count of [2, 3, 4, 7, 256]) {
      const rows: { shard: string }[] = await bed.ds.query(
        `SELECT (('x' || left(md5(id), 8))::bit(32)::bigint % $2)::int AS shard FROM unnest($1::text[]) WITH ORDINALITY AS t(id, i) ORDER BY i`,
        [ids, count],
      );
      expect(rows.map((r) => Number(r.shard))).toEqual(ids.map((id) => shardOf(id, count)));
    }
  });

  it.each([
    [2, 'its own shard count', '0,1'],
    [4, 'another shard count', '0,1,2,3'],
  ])('with %i shards, ends the session of a silent leader under %s and leads every shard', async (shards, _, led) => {
    const name = randomUUID();
    const stuck = await leaderOfShard1Of2(name);
    const relay = bed.newRelay({
      name,
      shards,
      topicFor: () => 'unused',
      leaderStaleAfterMs: 1000,
      standbyRetryMs: 200,
    });
    await relay.start();
    await waitFor('every shard led', async () => relay.ledShards.join() === led, 15_000);
    await expect(stuck.query('SELECT 1')).rejects.toThrow();
    await stuck.end().catch(() => undefined);
  });

  it('a standby shard gives its connection back to the pool', async () => {
    const name = randomUUID();
    const other = await leaderOfShard1Of2(name); // alive: leaderStaleAfterMs is a minute
    const relay = bed.newRelay({
      name,
      shards: 2,
      topicFor: () => 'unused',
      leaderStaleAfterMs: 60_000,
      standbyRetryMs: 50,
    });
    await relay.start();
    await waitFor('shard 0 led', async () => relay.ledShards.join() === '0', 15_000);
    await sleep(1000); // many tries of shard 1
    const pool = (bed.ds.driver as unknown as { master: { totalCount: number; idleCount: number } }).master;
    // Shard 0's session and the membership's; none kept for shard 1.
    expect(pool.totalCount - pool.idleCount).toBe(2);
    await other.end();
  });

  it('an admission that stalls in its transaction has its session ended, and another relay is admitted', async () => {
    const name = randomUUID();
    const session = await RelaySession.open(bed.ds);
    // The stall: the session stops once it holds the admission lock, as a paused process would.
    const query = session.query.bind(session);
    session.query = async (sql: string, params?: unknown[]) => {
      const result = await query(sql, params);
      if (sql.includes('pg_advisory_xact_lock')) await sleep(5000);
      return result;
    };
    const stalled = session.admit(name, leaderLockName(name, { index: 0, count: 2 }), 2, 256, 1000);
    await sleep(200);
    const relay = bed.newRelay({
      name,
      shards: 2,
      topicFor: () => 'unused',
      leaderStaleAfterMs: 1000,
      standbyRetryMs: 100,
    });
    await relay.start();
    await waitFor('both shards led before the stall ends', async () => relay.ledShards.join() === '0,1', 3500);
    await expect(stalled).rejects.toThrow();
    await session.close();
  });

  it('with shards, retention deletes a row marked before its last pass but committed after it', async () => {
    const relay = bed.newRelay({ shards: 2, retentionSeconds: 0, topicFor: () => 'unused' });
    const [late, early] = [event(randomUUID(), 0), event(randomUUID(), 0)];
    await bed.commit([late, early]);
    const table = outboxTable(bed.table).qualified;
    // Another shard's leader marks `late`, and commits only after retention read past it.
    const marker = await connect();
    await marker.query('BEGIN');
    await marker.query(`UPDATE ${table} SET published_at = clock_timestamp() WHERE id = $1`, [late.id]);
    await bed.ds.query(`UPDATE ${table} SET published_at = clock_timestamp() WHERE id = $1`, [early.id]);
    expect(await relay.applyRetention()).toBe(1);
    await marker.query('COMMIT');
    await marker.end();
    expect(await relay.applyRetention()).toBe(1);
  });

  it('two processes share four shards; when one is SIGKILLed the other takes its shards, losing nothing', async () => {
    const topic = `relay-shards-${randomUUID()}`;
    const name = randomUUID();
    const writer = new Writer((events) => bed.commit(events));
    await writer.once(30);
    const a = relayProcess(4, name, topic);
    const b = relayProcess(4, name, topic);
    await waitFor(
      'each leads two shards',
      async () => a.led.length === 2 && b.led.length === 2 && [...a.led, ...b.led].sort().join() === '0,1,2,3',
      30_000,
    );
    writer.start();
    await sleep(1000);
    expect([...a.led, ...b.led].sort()).toEqual([0, 1, 2, 3]); // still shared, none led twice

    expect(await a.stop('SIGKILL')).toBe('SIGKILL');
    await waitFor('b leads every shard', async () => b.led.length === 4, 15_000);
    await sleep(500);
    await writer.stop();
    await expectAllInOrder(topic, writer);
  }, 120_000);

  it('changes the shard count from 2 to 4 to 1 under load: the counts never lead at once, nothing lost, order kept', async () => {
    const topic = `relay-shards-${randomUUID()}`;
    const name = randomUUID();
    const sampler = new LeaderSampler(bed.ds, name, [1, 2, 4]);
    const writer = new Writer((events) => bed.commit(events));
    writer.start();
    try {
      const two = [relayProcess(2, name, topic), relayProcess(2, name, topic)];
      const leadsAll = (ps: ShardRelayProcess[], n: number) => async () =>
        ps
          .flatMap((p) => p.led)
          .sort()
          .join() === Array.from({ length: n }, (_, i) => i).join();
      await waitFor('the 2-shard relays lead', leadsAll(two, 2), 30_000);

      const four = [relayProcess(4, name, topic), relayProcess(4, name, topic)];
      const standing = (ps: ShardRelayProcess[]) => async () =>
        ps.every((p) => p.logs.includes('outbox relay stands by: relays with another shard count lead'));
      await waitFor('the 4-shard relays stand by', standing(four), 60_000);
      await sleep(500);
      expect(four.flatMap((p) => p.led)).toEqual([]);

      for (const p of two) expect(await p.stop()).toBe(0);
      await waitFor('the 4-shard relays lead', leadsAll(four, 4), 30_000);
      await sleep(1000);

      const one = relayProcess(1, name, topic);
      await waitFor('the 1-shard relay stands by', standing([one]), 60_000);
      expect(one.led).toEqual([]);
      for (const p of four) expect(await p.stop()).toBe(0);
      await waitFor('the 1-shard relay leads', leadsAll([one], 1), 30_000);
      await sleep(1000);
    } finally {
      await writer.stop();
      await sampler.stop();
    }
    await expectAllInOrder(topic, writer);
    expect(writer.count).toBeGreaterThan(300);
    expect([...sampler.countsSeen].sort()).toEqual([1, 2, 4]);
    expect(sampler.samples).toBeGreaterThan(100);
    expect(sampler.overlaps).toEqual([]);
  }, 240_000);
});
