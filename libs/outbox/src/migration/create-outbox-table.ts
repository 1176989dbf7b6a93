import { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxTable, OutboxTableOptions, quoteIdentifier } from '../outbox-table';

/**
 * The DDL of the outbox table, one statement per entry: the one source of the TypeORM
 * migrations below and of `sql/create-outbox-table.sql`. Indexes are named after the table
 * (`outbox_pending_idx` for the default one) and land in its schema.
 */
export function createOutboxTableSql(options: OutboxTableOptions = {}): string[] {
  const { qualified: outbox, table } = outboxTable(options);
  const index = (suffix: string) => quoteIdentifier(`${table}_${suffix}`);
  return [
    `-- id, aggregatetype, aggregateid, type and payload are the columns Debezium's Outbox Event
-- Router reads by default, so a team can switch from this relay to CDC without a migration;
-- the other columns belong to the relay. Rows are inserted, updated once and deleted soon
-- after: vacuum early and often.
CREATE TABLE ${outbox} (
  id              uuid PRIMARY KEY,
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  aggregatetype   varchar(255) NOT NULL,
  aggregateid     varchar(255) NOT NULL,
  type            varchar(255) NOT NULL,
  payload         jsonb NOT NULL,
  headers         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  published_at    timestamptz,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_error      text,
  parked_at       timestamptz
) WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
        autovacuum_vacuum_insert_scale_factor = 0.01)`,
    `-- What the relay scans: only unpublished rows, so the index is as small as the backlog.
CREATE INDEX ${index('pending_idx')} ON ${outbox} (seq) WHERE published_at IS NULL`,
    `-- Rows that failed at least once: usually none; they hold back their aggregate only.
CREATE INDEX ${index('failing_idx')} ON ${outbox} (aggregatetype, aggregateid, seq)
  WHERE published_at IS NULL AND attempts > 0`,
    `-- Retention deletes published rows oldest first.
CREATE INDEX ${index('published_idx')} ON ${outbox} (published_at) WHERE published_at IS NOT NULL`,
  ];
}

/** `sql/create-outbox-table.sql`: the DDL for tools other than TypeORM (psql, Flyway, Liquibase…). */
export function createOutboxTableSqlFile(options: OutboxTableOptions = {}): string {
  const header = `-- The outbox table (${outboxTable(options).qualified}). Generated from createOutboxTableSql() in
-- libs/outbox/src/migration/create-outbox-table.ts (libs/outbox/sql/generate-sql.ts): do not edit.
-- The sequence behind seq must stay uncached (the identity default): see the README, "the scan frontier".`;
  return `${header}\n\n${createOutboxTableSql(options).join(';\n\n')};\n`;
}

type MigrationClass = new () => MigrationInterface;

const DEFAULT_TIMESTAMP = 1764000000000;
const pascal = (name: string) =>
  name
    .split(/[^A-Za-z0-9]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/**
 * A TypeORM migration that creates the table `options` names. TypeORM orders migrations by
 * the 13-digit `timestamp` that ends the name; the name carries the schema and table unless
 * they are the defaults, so that two tables get two migrations.
 */
export function createOutboxTableMigration(options: OutboxTableOptions & { timestamp?: number } = {}): MigrationClass {
  const { schema, table, qualified } = outboxTable(options);
  const timestamp = options.timestamp ?? DEFAULT_TIMESTAMP;
  if (!/^\d{13}$/.test(String(timestamp)))
    throw new RangeError('outbox migration: timestamp must be a JavaScript timestamp in milliseconds (13 digits)');
  const names = qualified === '"public"."outbox"' ? '' : pascal(schema) + pascal(table);
  const name = `CreateOutboxTable${names}${timestamp}`;
  return class implements MigrationInterface {
    name = name;

    async up(q: QueryRunner): Promise<void> {
      for (const statement of createOutboxTableSql(options)) await q.query(statement);
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE ${qualified}`);
    }
  };
}

/** public.outbox, under the class name that databases which ran it have recorded. */
export class CreateOutboxTable1764000000000 extends createOutboxTableMigration() {}
