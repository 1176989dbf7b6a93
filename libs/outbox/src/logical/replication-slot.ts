import { SqlRunner } from '../outbox-sql';
import { OutboxTable } from '../outbox-table';

/** A logical replication slot of the outbox's database, as monitoring reads it. */
export interface ReplicationSlotStats {
  slot: string;
  /** A relay (or Debezium) streams it now. */
  active: boolean;
  /** WAL the slot holds: between the server's position and what its reader confirmed. */
  lagBytes: number;
  /** What its reader confirmed (null before it confirmed anything), and the server's WAL position now. */
  confirmedLsn: string | null;
  serverLsn: string;
}

/** The logical slots of the connected database: the log-based relays' (and Debezium's). */
export async function replicationSlots(db: SqlRunner): Promise<ReplicationSlotStats[]> {
  return db.query(
    `SELECT slot_name AS slot, active,
            coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::float8 AS "lagBytes",
            confirmed_flush_lsn::text AS "confirmedLsn", pg_current_wal_lsn()::text AS "serverLsn"
       FROM pg_replication_slots WHERE database = current_database() AND slot_type = 'logical'`,
  );
}

/**
 * The slot a relay of `table` reads when not told: slot names are unique in the whole cluster,
 * so it names the database, in the characters a slot name allows.
 */
export async function defaultSlotName(db: SqlRunner, table: OutboxTable): Promise<string> {
  const [{ name }] = await db.query('SELECT current_database() AS name');
  const base =
    table.schema === 'public' && table.table === 'outbox' ? 'outbox_relay' : `${table.schema}_${table.table}_relay`;
  return `${base}_${name}`
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

/** PostgreSQL's SQLSTATE for "already exists": another relay created the slot first. */
const DUPLICATE_OBJECT = '42710';

/**
 * Creates the permanent slot `name` unless it exists. A permanent slot keeps the changes
 * made while no relay reads it (a temporary one would lose them with its connection).
 */
export async function ensureSlot(db: SqlRunner, name: string, publication: string): Promise<void> {
  const [pub] = await db.query('SELECT count(*)::int AS n FROM pg_publication WHERE pubname = $1', [publication]);
  if (pub.n === 0)
    throw new Error(
      `outbox logical relay: publication ${publication} does not exist; run the CreateOutboxPublication migration ` +
        '(or createOutboxPublicationSql) first',
    );
  const [slot] = await db.query('SELECT count(*)::int AS n FROM pg_replication_slots WHERE slot_name = $1', [name]);
  if (slot.n > 0) return;
  try {
    await db.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [name]);
  } catch (err) {
    if ((err as { code?: string }).code !== DUPLICATE_OBJECT) throw err;
  }
}

export async function slotState(db: SqlRunner, name: string): Promise<ReplicationSlotStats | undefined> {
  return (await replicationSlots(db)).find((s) => s.slot === name);
}

/**
 * Drops a slot no relay will read again: an abandoned slot keeps WAL until
 * max_slot_wal_keep_size invalidates it. Returns false when there was none.
 */
export async function dropSlot(db: SqlRunner, name: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
    [name],
  );
  return rows.length > 0;
}
