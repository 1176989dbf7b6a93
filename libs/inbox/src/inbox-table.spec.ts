import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueryRunner } from 'typeorm';
import {
  CreateInboxTable1764000000001,
  createInboxTableMigration,
  inboxTable,
  inboxTableDdl,
  inboxTableSqlScript,
} from './inbox-table';

/** What a migration sends to the database, without one. */
const recorder = () => {
  const statements: string[] = [];
  return { statements, runner: { query: async (sql: string) => void statements.push(sql) } as unknown as QueryRunner };
};

describe('inbox table', () => {
  it('qualifies and quotes the name, public.inbox by default', () => {
    expect(inboxTable().qualified).toBe('"public"."inbox"');
    expect(inboxTable({ schema: 'messaging', table: 'Inbox "x"' }).qualified).toBe('"messaging"."Inbox ""x"""');
  });

  it('ships the plain SQL file generated from the DDL function (regenerate: libs/inbox/test/write-sql.ts)', () => {
    const file = readFileSync(join(__dirname, '../sql/create-inbox-table.sql'), 'utf8');
    expect(file).toBe(inboxTableSqlScript());
  });

  it('migrates the default table with the class databases already recorded', async () => {
    const { statements, runner } = recorder();
    const migration = new CreateInboxTable1764000000001();
    expect(migration.name).toBe('CreateInboxTable1764000000001');
    await migration.up(runner);
    await migration.down(runner);
    expect(statements).toEqual([...inboxTableDdl().up, ...inboxTableDdl().down]);
  });

  it('makes a migration for other names, with the schema created and a name TypeORM can order', async () => {
    const Migration = createInboxTableMigration({ schema: 'billing', table: 'billing_inbox' }, 1765000000000);
    const { statements, runner } = recorder();
    const migration = new Migration();
    await migration.up(runner);
    expect(migration.name).toBe('CreateInboxTable_billing_billing_inbox_1765000000000');
    expect(migration.name?.slice(-13)).toBe('1765000000000');
    expect(statements[0]).toBe('CREATE SCHEMA IF NOT EXISTS "billing"');
    expect(statements[1]).toMatch(/^CREATE TABLE "billing"."billing_inbox" \(/);
    expect(statements[2]).toBe(
      'CREATE INDEX "billing_inbox_received_at_idx" ON "billing"."billing_inbox" (received_at)',
    );
    expect(() => createInboxTableMigration({}, 42)).toThrow('13 digits');
  });
});
