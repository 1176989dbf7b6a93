import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import {
  adminConnection,
  connectRunning,
  dropDebeziumSlots,
  dropReplicationSlots,
  EventTap,
  grantAcls,
  queryAsAdmin,
  stopConnect,
  tapTopic,
  waitFor,
} from '@shop/infra';

/** How the producers' outboxes reach the broker: the services' RELAY_MODE. */
export type RelayMode = 'polling' | 'logical' | 'debezium';

/** The slot each log-based mode streams per producer database. */
export const relaySlot = (mode: 'logical' | 'debezium', database: 'orders' | 'shipping') =>
  mode === 'logical' ? `outbox_relay_${database}` : `debezium_${database}`;

/** A replication slot as PostgreSQL reports it: streamed now or not, and the WAL it holds back. */
export async function slotState(name: string): Promise<{ active: boolean; lagBytes: number } | undefined> {
  const [slot] = await queryAsAdmin<{ active: boolean; lagBytes: number }>(
    'postgres',
    `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 AS "lagBytes"
       FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  return slot;
}

/**
 * Drops the slots a log-based mode leaves behind: they are cluster-wide, keep WAL for as long
 * as nobody reads them, and a later run would replay from them. Debezium's go with Connect
 * stopped and its offsets deleted.
 */
export async function dropRelaySlots(mode: RelayMode): Promise<void> {
  if (mode === 'debezium') {
    if (await connectRunning()) await stopConnect();
    await dropDebeziumSlots();
  }
  if (mode !== 'logical') return;
  // A stopped relay's walsender may hold its slot for a moment longer.
  await waitFor(
    'the logical relays’ slots dropped',
    async () => {
      await dropReplicationSlots('outbox\\_relay\\_%');
      const [{ n }] = await queryAsAdmin(
        'postgres',
        `SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name LIKE 'outbox\\_relay\\_%'`,
      );
      return n === 0;
    },
    15_000,
  );
}

/**
 * Under Debezium the outbox tables stay empty and its slots confirm only the LSNs of the
 * changes they capture, so neither says what is left to publish. A barrier event written
 * to each producer's outbox once all else is quiet does: the connectors publish in commit
 * order, so once both barriers are on their topic, so is everything committed before them.
 */
export class RelayBarrier {
  static readonly topic = 'outbox.event.fault_barrier';
  private tap?: EventTap;
  private ids?: string[];

  /** Empty once the barriers are on the topic; writes them on the first call after a reset. */
  async pending(): Promise<string> {
    if (!this.tap) {
      // Debezium's user may write only the outbox topics: this one is the test's own.
      const name = RelayBarrier.topic;
      await grantAcls([{ user: 'connect', operation: 'WRITE', resource: 'topic', name, pattern: 'literal' }]);
      this.tap = await tapTopic(name);
    }
    this.ids ??= await Promise.all(['orders', 'shipping'].map(writeBarrier));
    const seen = new Set(this.tap.messages.map((m) => m.headers.id));
    const missing = this.ids.filter((id) => !seen.has(id)).length;
    return missing === 0 ? '' : `barriers-not-published=${missing}`;
  }

  /** Other work showed up: the next barrier goes after it. */
  reset(): void {
    this.ids = undefined;
  }

  async close(): Promise<void> {
    await this.tap?.stop();
  }
}

/** An outbox row no service subscribes to, deleted in its own transaction as the services do in this mode. */
async function writeBarrier(database: string): Promise<string> {
  const id = randomUUID();
  const client = new Client(adminConnection(database));
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload)
       VALUES ($1, 'fault_barrier', $2, 'fault.barrier.v1', '{}'::jsonb)`,
      [id, database],
    );
    await client.query('DELETE FROM outbox WHERE id = $1', [id]);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return id;
}
