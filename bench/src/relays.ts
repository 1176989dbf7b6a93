import { dropDebeziumSlots, grantAcls, settings, startConnect, stopConnect } from '@shop/infra';
import { Outbox, OutboxRelay } from '@transactional-outbox/outbox';
import { KafkaJsPublisher } from '@transactional-outbox/outbox/kafkajs';
import { OutboxLogicalRelay } from '@transactional-outbox/outbox/logical';
import { admin, BenchDatabase, kafka } from './fixtures';
import { connectCpuSeconds, sampleCpu } from './cpu';
import { sleep } from './stats';

/** A relay running on a bench database, with the `Outbox` its writers use, as the services pair them. */
export interface RunningRelay {
  outbox: Outbox;
  /** CPU seconds used so far by the process the relay runs in. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** One way of relaying the outbox (RELAY_MODE, libs/service-kit/src/relay-mode.ts), or none. */
export interface RelayMode {
  label: string;
  /** The process `cpuSeconds` reads, for the rows' names. */
  process: string;
  /** False for the baseline: rows are written and nothing reads them. */
  publishes: boolean;
  /** Rows stay in the table, marked once published (else they are deleted as they are inserted). */
  marks: boolean;
  start(db: BenchDatabase): Promise<RunningRelay>;
}

const benchCpu = () => sampleCpu().bench;

/** Drops a slot once its reader has let go of it (a walsender lingers a moment after its client stops). */
async function dropSlotWhenReleased(slot: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { rows } = await admin('postgres', (c) =>
      c.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]),
    );
    if (rows.length === 0) return;
    if (!rows[0].active) {
      await admin('postgres', (c) => c.query('SELECT pg_drop_replication_slot($1)', [slot]));
      return;
    }
    if (Date.now() > deadline) throw new Error(`replication slot ${slot} still active 15 s after its reader stopped`);
    await sleep(100);
  }
}

export const noRelay: RelayMode = {
  label: 'no relay',
  process: 'bench process',
  publishes: false,
  marks: false,
  start: async () => ({
    outbox: new Outbox({ notifyChannel: '' }),
    cpuSeconds: benchCpu,
    stop: () => Promise.resolve(),
  }),
};

/** The polling relay in the writers' process, woken after each commit, with its defaults. */
export const polling: RelayMode = {
  label: 'polling',
  process: 'bench process',
  publishes: true,
  marks: true,
  async start(db) {
    const relay = new OutboxRelay(db.ds, new KafkaJsPublisher(kafka), { name: db.name });
    await relay.start();
    while (!relay.isLeader) await sleep(10);
    return { outbox: new Outbox({ localRelay: relay }), cpuSeconds: benchCpu, stop: () => relay.stop() };
  },
};

/** `OutboxLogicalRelay` in the writers' process, on a slot of its own, dropped when it stops. */
export const logical = (deleteAfterInsert: boolean): RelayMode => ({
  label: deleteAfterInsert ? 'logical, delete after insert' : 'logical',
  process: 'bench process',
  publishes: true,
  marks: !deleteAfterInsert,
  async start(db) {
    const { host, postgres } = settings;
    const relay = new OutboxLogicalRelay(db.ds, new KafkaJsPublisher(kafka), {
      name: db.name,
      markPublished: !deleteAfterInsert,
      connection: {
        host,
        port: postgres.port,
        user: postgres.adminUser,
        password: postgres.adminPassword,
        database: db.name,
      },
    });
    await relay.start();
    while (!relay.isLeader) await sleep(10);
    return {
      outbox: new Outbox({ localRelay: relay, notifyChannel: '', deleteAfterInsert }),
      cpuSeconds: benchCpu,
      async stop() {
        await relay.stop();
        if (relay.slotName) await dropSlotWhenReleased(relay.slotName);
      },
    };
  },
});

/**
 * Kafka Connect with one Debezium connector on the bench database, its slot dropped when it
 * stops; the writers delete their rows as they insert them, as the services do in this mode.
 */
export const debezium: RelayMode = {
  label: 'Debezium',
  process: 'Kafka Connect JVM',
  publishes: true,
  marks: false,
  async start(db) {
    const connector = { name: 'outbox-bench', database: db.name, slot: `debezium_${db.name}` };
    // dropDebeziumSlots drops every debezium_* slot and the worker's offsets file: only if
    // there was no Debezium state before this run.
    const [{ others }] = await admin('postgres', async (c) => {
      const { rows } = await c.query(
        `SELECT count(*)::int AS others FROM pg_replication_slots WHERE slot_name LIKE 'debezium\\_%'`,
      );
      return rows;
    });
    const stop = async () => {
      await stopConnect();
      if (others === 0) await dropDebeziumSlots();
      else await dropSlotWhenReleased(connector.slot);
    };
    // Debezium's user may write only the outbox topics: the bench's are its own.
    await grantAcls([
      { user: 'connect', operation: 'WRITE', resource: 'topic', name: 'outbox.event.bench-', pattern: 'prefixed' },
    ]);
    await startConnect({ connectors: [connector] }).catch(async (err: unknown) => {
      await stop();
      throw err;
    });
    return { outbox: new Outbox({ deleteAfterInsert: true, notifyChannel: '' }), cpuSeconds: connectCpuSeconds, stop };
  },
};
