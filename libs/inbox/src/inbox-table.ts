import { MigrationInterface, QueryRunner } from 'typeorm';

/** Where the inbox table lives. Defaults: schema `public`, table `inbox`. */
export interface InboxTableOptions {
  schema?: string;
  table?: string;
}

export interface InboxTable {
  readonly schema: string;
  readonly table: string;
  /** `"schema"."table"`: every statement uses this one quoted, qualified name. */
  readonly qualified: string;
}

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

export function inboxTable(options: InboxTableOptions = {}): InboxTable {
  const schema = options.schema ?? 'public';
  const table = options.table ?? 'inbox';
  if (!schema || !table) throw new Error('inbox table: schema and table must not be empty');
  return { schema, table, qualified: `${quote(schema)}.${quote(table)}` };
}

/**
 * The one source of the inbox's DDL: the TypeORM migrations and
 * `libs/inbox/sql/create-inbox-table.sql` are made from it. One row per (consumer, event)
 * handled, the dedup record written with the side effect; `received_at` for retention.
 */
export function inboxTableDdl(options: InboxTableOptions = {}): { up: string[]; down: string[] } {
  const { schema, table, qualified } = inboxTable(options);
  return {
    up: [
      ...(schema === 'public' ? [] : [`CREATE SCHEMA IF NOT EXISTS ${quote(schema)}`]),
      `CREATE TABLE ${qualified} (
  consumer    varchar(200) NOT NULL,
  event_id    uuid NOT NULL,
  type        varchar(255) NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
)`,
      `CREATE INDEX ${quote(`${table}_received_at_idx`)} ON ${qualified} (received_at)`,
    ],
    down: [`DROP TABLE ${qualified}`],
  };
}

/** The DDL as a plain SQL script, for migration tools other than TypeORM. */
export function inboxTableSqlScript(options: InboxTableOptions = {}): string {
  const { up } = inboxTableDdl(options);
  return `-- Generated from inboxTableDdl() in libs/inbox/src/inbox-table.ts; do not edit.\n${up.map((s) => `${s};\n`).join('\n')}`;
}

async function run(q: QueryRunner, statements: string[]): Promise<void> {
  for (const statement of statements) await q.query(statement);
}

/** The inbox table with the default names; the class name is what databases migrated before recorded. */
export class CreateInboxTable1764000000001 implements MigrationInterface {
  name = 'CreateInboxTable1764000000001';

  async up(q: QueryRunner): Promise<void> {
    await run(q, inboxTableDdl().up);
  }

  async down(q: QueryRunner): Promise<void> {
    await run(q, inboxTableDdl().down);
  }
}

/**
 * A migration class for an inbox table with other names. TypeORM tells migrations apart
 * by name and reads the timestamp from its last 13 digits, so the names go in the middle.
 */
export function createInboxTableMigration(
  options: InboxTableOptions,
  timestamp = 1764000000001,
): new () => MigrationInterface {
  if (!/^\d{13}$/.test(String(timestamp))) throw new Error('inbox migration: timestamp must have 13 digits');
  const { schema, table } = inboxTable(options);
  const name = `CreateInboxTable_${schema}_${table}_${timestamp}`;
  const ddl = inboxTableDdl(options);
  return class implements MigrationInterface {
    name = name;
    async up(q: QueryRunner): Promise<void> {
      await run(q, ddl.up);
    }
    async down(q: QueryRunner): Promise<void> {
      await run(q, ddl.down);
    }
  };
}
