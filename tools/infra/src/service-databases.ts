import { Client } from 'pg';
import { serviceDatabases } from './settings';
import { adminConnection } from './native-postgres';

/**
 * One database per service, owned by that service's login role, which has no other
 * rights: it can create its own tables (migrations) and touch nothing else (the producers'
 * roles may also stream WAL: see serviceDatabases).
 * Role names and passwords cannot be bound parameters in DDL, so they are quoted
 * with format() inside the server.
 */
export async function ddl(client: Client, template: string, ...args: string[]): Promise<void> {
  const placeholders = args.map((_, i) => `$${i + 2}::text`).join(', ');
  const { rows } = await client.query(`SELECT format($1::text, ${placeholders}) AS sql`, [template, ...args]);
  await client.query(rows[0].sql);
}

export async function ensureServiceDatabases(): Promise<void> {
  const admin = new Client(adminConnection('postgres'));
  await admin.connect();
  try {
    for (const { database, role, password, replication } of serviceDatabases) {
      const roleExists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = roleExists.rowCount === 0 ? 'CREATE' : 'ALTER';
      const attributes = `NOSUPERUSER NOCREATEDB NOCREATEROLE ${replication ? 'REPLICATION' : 'NOREPLICATION'}`;
      await ddl(admin, `${verb} ROLE %I WITH LOGIN PASSWORD %L ${attributes}`, role, password);
      const dbExists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (dbExists.rowCount === 0) await ddl(admin, 'CREATE DATABASE %I OWNER %I', database, role);
      await ddl(admin, 'REVOKE ALL ON DATABASE %I FROM PUBLIC', database);
    }
  } finally {
    await admin.end();
  }
}

/**
 * Drops the replication slots of the producers' databases whose names match `pattern` and
 * that no relay streams now (the log-based relay's `outbox_relay`, Debezium's
 * `debezium_<database>`). For a relay mode turned off for good: an abandoned slot keeps WAL.
 * Returns the slots dropped.
 */
export async function dropReplicationSlots(pattern = '%'): Promise<string[]> {
  const admin = new Client(adminConnection('postgres'));
  await admin.connect();
  try {
    const { rows } = await admin.query(
      `SELECT slot_name, pg_drop_replication_slot(slot_name) FROM pg_replication_slots
        WHERE NOT active AND slot_name LIKE $1 AND database = ANY($2::text[])`,
      [pattern, serviceDatabases.filter((d) => d.replication).map((d) => d.database)],
    );
    return rows.map((r) => r.slot_name);
  } finally {
    await admin.end();
  }
}
