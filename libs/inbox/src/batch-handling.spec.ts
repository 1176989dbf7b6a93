import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { handleBatch } from './batch-handling';
import { InboxHandler } from './inbox-options';
import { inboxTable } from './inbox-table';
import { Processing } from './message-handling';
import { DeadLetterRecord, InboxMessage, MessageBatch, MessageTransport } from './ports';

/**
 * The handling policy against a stand-in database (the integration tests use the real
 * one): which transactions, acknowledgements, retries and dead letters a batch leads to.
 */
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

function fakeDatabase() {
  const db = {
    committed: new Set<string>(),
    transactions: 0,
    /** Inbox insert statements. */
    inserts: 0,
    /** The commit fails this many times more. */
    failCommits: 0,
    /** Connects that fail before the database is back. */
    refuseConnects: 0,
    /** The next rollback fails as on a connection the server dropped. */
    breakNextRollback: false,
    /** The database does not answer `SELECT 1` while this is true. */
    away: false,
  };
  const createQueryRunner = () => {
    const pending: string[] = [];
    const runner = {
      isReleased: false,
      isTransactionActive: false,
      connect: async () => {
        if (db.refuseConnects > 0 && db.refuseConnects--) throw refused();
      },
      startTransaction: async () => void ((runner.isTransactionActive = true), (db.transactions += 1)),
      commitTransaction: async () => {
        if (db.failCommits > 0 && db.failCommits--) throw new Error('could not serialize access');
        pending.forEach((id) => db.committed.add(id));
        runner.isTransactionActive = false;
      },
      rollbackTransaction: async () => {
        if (db.breakNextRollback) {
          db.breakNextRollback = false;
          throw new Error('Client has encountered a connection error and is not queryable');
        }
        runner.isTransactionActive = false;
      },
      release: async () => undefined,
      manager: {
        // The inbox insert: returns the ids not seen before.
        query: async (_sql: string, [, ids]: [string, string[], string[]]) => {
          db.inserts += 1;
          const fresh = ids.filter((id, i) => !db.committed.has(id) && ids.indexOf(id) === i);
          pending.push(...fresh);
          return fresh.map((event_id) => ({ event_id }));
        },
      },
    };
    return runner;
  };
  const query = async () => {
    if (db.away) throw refused();
    return [{ '?column?': 1 }];
  };
  return { db, dataSource: { createQueryRunner, query } as unknown as DataSource };
}

const message = (offset: number, value: unknown, transport: Partial<MessageTransport> = {}): InboxMessage => ({
  key: null,
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
  position: { topic: 't', partition: 0, offset: String(offset) },
  transport: { topic: 't', claims: [], ...transport },
});
const event = (n: number) => ({ id: randomUUID(), type: 'thing.v1', data: { n } });

function setUp(handle: (n: number) => Promise<void>, settings: Partial<Processing> = {}) {
  const { db, dataSource } = fakeDatabase();
  const handled: number[] = [];
  const deadLetters: DeadLetterRecord[] = [];
  const handler: InboxHandler = async (payload) => {
    const { n } = payload as { n: number };
    await handle(n);
    handled.push(n);
  };
  const p: Processing = {
    consumer: 'c',
    broker: {
      source: undefined as never,
      deadLetters: { send: async (_topic, record) => void deadLetters.push(record), close: async () => undefined },
    },
    dataSource,
    table: inboxTable(),
    handlerFor: (type) => (type === 'thing.v1' ? handler : undefined),
    logger: { log: () => undefined, warn: () => undefined, error: () => undefined },
    maxAttempts: 3,
    retryBackoffMs: 1,
    maxOutageWaitMs: 5,
    maxMessageBytes: 1024,
    transactionBatchSize: 100,
    deadLetterTopicFor: (t) => `${t}.dlt`,
    stats: { processed: 0, duplicates: 0, deadLettered: 0 },
    isClosed: () => false,
    ...settings,
  };
  const acks: string[] = [];
  const run = (messages: InboxMessage[]) => {
    const batch: MessageBatch = {
      messages,
      ack: async (m) => void acks.push(m.position.offset),
      heartbeat: async () => undefined,
      isActive: () => true,
    };
    return handleBatch(p, batch, () => undefined);
  };
  return { db, p, run, handled, deadLetters, acks };
}

describe('handleBatch', () => {
  it('handles consecutive readable messages in one transaction and acknowledges the last', async () => {
    const t = setUp(async () => undefined);
    const e = [event(1), event(2), event(3)];
    await t.run([message(0, e[0]), message(1, e[1]), message(2, e[2]), message(3, e[0])]);
    expect({ transactions: t.db.transactions, handled: t.handled, acks: t.acks, stats: t.p.stats }).toEqual({
      transactions: 1,
      handled: [1, 2, 3],
      acks: ['3'],
      stats: { processed: 3, duplicates: 1, deadLettered: 0 },
    });
  });

  it('ends a run at an unreadable message, dead-letters it at once and goes on', async () => {
    const t = setUp(async () => undefined);
    await t.run([message(0, event(1)), message(1, event(2)), message(2, 'not json'), message(3, event(4))]);
    expect(t.handled).toEqual([1, 2, 4]);
    expect(t.acks).toEqual(['1', '2', '3']);
    expect(t.deadLetters.map((d) => [d.headers['dlt-error'], d.headers['dlt-attempts']])).toEqual([
      ['message value is not JSON', '1'],
    ]);
  });

  it('dead-letters a message its transport contradicts, or of a type its topic does not carry, unhandled', async () => {
    const t = setUp(async () => undefined, {
      eventsOn: (topic) => (topic === 't' ? { producer: 'thing-service', types: ['thing.v1'] } : undefined),
    });
    const forged = event(2);
    await t.run([
      message(0, event(1)),
      message(1, forged, { claims: [{ field: 'id', from: 'header "id"', value: 'not-a-uuid' }] }),
      message(2, event(3), { topic: 'other' }),
      message(3, event(4)),
    ]);
    expect(t.handled).toEqual([1, 4]);
    expect(t.acks).toEqual(['0', '1', '2', '3']);
    expect(t.deadLetters.map((d) => d.headers['dlt-error'])).toEqual([
      'the transport contradicts the envelope: header "id" is not the envelope\'s id',
      'topic "other" carries no event type this consumer knows',
    ]);
  });

  it('splits a failed run at the message whose handler threw: its neighbours keep their runs, it is dead-lettered', async () => {
    const t = setUp(async (n) => {
      if (n === 3) throw new Error('handler refuses n=3');
    });
    await t.run([1, 2, 3, 4, 5].map((n) => message(n - 1, event(n))));
    expect({ handled: t.handled, transactions: t.db.transactions, acks: t.acks }).toEqual({
      handled: [1, 2, 1, 2, 4, 5], // 1 and 2 in the rolled-back run, again without 3, then the rest's run
      transactions: 1 + 1 + 3 + 1, // the batch, its first two, three attempts of 3, its last two
      acks: ['1', '2', '4'],
    });
    expect(t.p.stats).toEqual({ processed: 4, duplicates: 0, deadLettered: 1 });
    expect(t.deadLetters[0].headers).toMatchObject({ 'dlt-error': 'handler refuses n=3', 'dlt-attempts': '3' });
  });

  it('halves a run that failed at its commit, where no message is to blame, and loses nothing', async () => {
    const t = setUp(async () => undefined);
    t.db.failCommits = 1;
    await t.run([1, 2, 3, 4].map((n) => message(n - 1, event(n))));
    expect({ transactions: t.db.transactions, acks: t.acks }).toEqual({
      transactions: 4, // the batch, its first half, the third alone, the last as a run of one
      acks: ['1', '2', '3'],
    });
    expect([...t.db.committed].length).toBe(4);
    expect(t.p.stats).toEqual({ processed: 4, duplicates: 0, deadLettered: 0 });
  });

  it('dedups a whole run with one insert statement', async () => {
    const t = setUp(async () => undefined);
    await t.run(Array.from({ length: 250 }, (_, n) => message(n, event(n))));
    expect({ transactions: t.db.transactions, inserts: t.db.inserts, acks: t.acks }).toEqual({
      transactions: 3,
      inserts: 3,
      acks: ['99', '199', '249'],
    });
  });

  it('waits for a database that refuses connections without spending attempts', async () => {
    const t = setUp(async () => undefined, { maxAttempts: 1 });
    t.db.refuseConnects = 4; // the run's transaction, then three tries of the message alone
    await t.run([message(0, event(1)), message(1, event(2))]);
    expect(t.p.stats).toEqual({ processed: 2, duplicates: 0, deadLettered: 0 });
  });

  it('takes an unclassifiable handler error for an outage when its connection broke and the database is away', async () => {
    let failures = 1;
    const t = setUp(
      async () => {
        if (failures-- > 0) {
          t.db.breakNextRollback = true;
          t.db.away = true;
          setTimeout(() => (t.db.away = false), 20);
          throw { status: 'error', message: 'Internal server error' }; // what Nest's default filter leaves
        }
      },
      { maxAttempts: 1 },
    );
    await t.run([message(0, event(1))]);
    expect(t.p.stats).toEqual({ processed: 1, duplicates: 0, deadLettered: 0 });
  });

  it('counts it against the message when the database answers after all', async () => {
    const t = setUp(
      async () => {
        t.db.breakNextRollback = true;
        throw new Error('handler refuses');
      },
      { maxAttempts: 1 },
    );
    await t.run([message(0, event(1))]);
    expect(t.p.stats).toEqual({ processed: 0, duplicates: 0, deadLettered: 1 });
    expect(t.deadLetters[0].headers['dlt-error']).toBe('handler refuses');
  });

  it('leaves the message unacknowledged when the database is down at shutdown', async () => {
    const t = setUp(async () => undefined, { isClosed: () => true });
    t.db.refuseConnects = 1;
    await expect(t.run([message(0, event(1))])).rejects.toThrow('database unavailable');
    expect([t.acks, t.deadLetters]).toEqual([[], []]);
  });
});
