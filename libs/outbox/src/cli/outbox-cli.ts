#!/usr/bin/env node
/**
 * Operator commands for the outbox table (`npm run outbox -- --help`). Connects with
 * DATABASE_URL (postgres://user:password@host:port/database).
 */
import { Client } from 'pg';
import { OutboxAdmin } from '../outbox-admin';
import { OutboxTableOptions } from '../outbox-table';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const commands = ['stats', 'parked', 'requeue'];

export const outboxCliUsage = `usage: DATABASE_URL=postgres://user:password@host:port/database npm run outbox -- [--schema S] [--table T] <command>

  stats                 pending and parked rows, age of the oldest
  parked [--limit N]    list parked rows with their last error (default 100)
  requeue --all         put every parked row back in line
  requeue ID [ID…]      put these parked rows back in line
  --schema S            the outbox table's schema (default public)
  --table T             the outbox table's name (default outbox)
  --help                this text`;

/** Takes `--schema S` and `--table T` out of `args`; an error message when one lacks its value. */
export function tableArgs(args: string[]): { rest: string[]; table: OutboxTableOptions } | { error: string } {
  const rest: string[] = [];
  const table: OutboxTableOptions = {};
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag !== '--schema' && flag !== '--table') {
      rest.push(flag);
      continue;
    }
    const value = args[++i];
    if (!value || value.startsWith('--')) return { error: `${flag} needs a name` };
    table[flag === '--schema' ? 'schema' : 'table'] = value;
  }
  return { rest, table };
}

/** Resolves with the exit code: 0 done, 2 a usage error (nothing was touched). */
export async function runOutboxCli(
  args: string[],
  databaseUrl: string | undefined,
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  const parsed = tableArgs(args);
  if ('error' in parsed) {
    err(`${parsed.error}\n${outboxCliUsage}`);
    return 2;
  }
  const [command, ...rest] = parsed.rest;
  // Help and usage errors need no database: an operator reads them before having one.
  if (command === '--help' || command === '-h' || command === 'help') {
    out(outboxCliUsage);
    return 0;
  }
  if (!commands.includes(command)) {
    err(command === undefined ? outboxCliUsage : `unknown command: ${command}\n${outboxCliUsage}`);
    return 2;
  }
  if (!databaseUrl) {
    err('DATABASE_URL is required, e.g. postgres://order_service:…@127.0.0.1:55432/orders');
    return 2;
  }
  const client = new Client({ connectionString: databaseUrl });
  const admin = new OutboxAdmin({ query: async (sql, params) => (await client.query(sql, params)).rows }, parsed.table);
  await client.connect();
  try {
    switch (command) {
      case 'stats':
        out(JSON.stringify(await admin.stats()));
        return 0;
      case 'parked': {
        const limitAt = rest.indexOf('--limit');
        const limit = limitAt >= 0 ? Number(rest[limitAt + 1]) : 100;
        if (!Number.isInteger(limit) || limit <= 0) throw new Error('--limit needs a positive whole number');
        for (const row of await admin.listParked(limit)) {
          out(
            `${row.id}  ${row.type}  ${row.aggregatetype}/${row.aggregateid}  attempts=${row.attempts}  parked=${row.parked_at.toISOString()}  error=${row.last_error ?? ''}`,
          );
        }
        return 0;
      }
      default: {
        // requeue, the one command left
        const ids = rest.filter((a) => a !== '--all');
        if (!rest.includes('--all') && ids.length === 0) throw new Error('requeue needs --all or one or more row ids');
        const bad = ids.find((id) => !UUID.test(id));
        if (bad) throw new Error(`not a row id: ${bad}`);
        const requeued = await admin.requeue(rest.includes('--all') ? undefined : ids);
        out(`requeued ${requeued.length} row(s)`);
        return 0;
      }
    }
  } finally {
    await client.end();
  }
}

if (require.main === module) {
  runOutboxCli(process.argv.slice(2), process.env.DATABASE_URL)
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
