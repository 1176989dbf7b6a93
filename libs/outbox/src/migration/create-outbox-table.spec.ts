import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationInterface, QueryRunner } from 'typeorm';
import {
  CreateOutboxTable1764000000000,
  createOutboxTableMigration,
  createOutboxTableSql,
  createOutboxTableSqlFile,
} from './create-outbox-table';

/** Runs a migration's `up` or `down` and returns the statements it sent. */
async function statements(migration: MigrationInterface, direction: 'up' | 'down' = 'up') {
  const sent: string[] = [];
  await migration[direction]({ query: async (sql: string) => void sent.push(sql) } as QueryRunner);
  return sent;
}

describe('the outbox table DDL', () => {
  it('agrees with sql/create-outbox-table.sql (regenerate: node -r @swc-node/register libs/outbox/sql/generate-sql.ts)', () => {
    const file = readFileSync(join(__dirname, '../../sql/create-outbox-table.sql'), 'utf8');
    expect(file).toBe(createOutboxTableSqlFile());
    for (const statement of createOutboxTableSql()) expect(file).toContain(`${statement};`);
  });

  it('keeps the migration class name and table that databases have recorded', async () => {
    const migration = new CreateOutboxTable1764000000000();
    expect(migration.name).toBe('CreateOutboxTable1764000000000');
    expect(CreateOutboxTable1764000000000.name).toBe('CreateOutboxTable1764000000000');
    const up = await statements(migration);
    expect(up).toEqual(createOutboxTableSql());
    expect(up[0]).toContain('CREATE TABLE "public"."outbox" (');
    expect(up.slice(1).map((s) => /CREATE INDEX (\S+)/.exec(s)?.[1])).toEqual([
      '"outbox_pending_idx"',
      '"outbox_failing_idx"',
      '"outbox_published_idx"',
    ]);
    expect(await statements(migration, 'down')).toEqual(['DROP TABLE "public"."outbox"']);
  });

  it('names the table, its indexes and the migration after the options', async () => {
    const Migration = createOutboxTableMigration({ schema: 'sales', table: 'order_events', timestamp: 1800000000000 });
    const migration = new Migration();
    expect(migration.name).toBe('CreateOutboxTableSalesOrderEvents1800000000000');
    const up = await statements(migration);
    expect(up).toEqual(createOutboxTableSql({ schema: 'sales', table: 'order_events' }));
    expect(
      up.every((s) => s.includes('ON "sales"."order_events"') || s.includes('CREATE TABLE "sales"."order_events"')),
    ).toBe(true);
    expect(up.join('\n')).toContain('CREATE INDEX "order_events_pending_idx"');
    expect(up.join('\n')).not.toMatch(/"outbox|public/);
  });

  it('quotes names, so any name is one identifier', () => {
    const [create] = createOutboxTableSql({ schema: 'My Schema', table: 'out"box' });
    expect(create).toContain('CREATE TABLE "My Schema"."out""box" (');
  });

  it('refuses a timestamp TypeORM could not order by', () => {
    expect(() => createOutboxTableMigration({ timestamp: 42 })).toThrow(/13 digits/);
  });
});
