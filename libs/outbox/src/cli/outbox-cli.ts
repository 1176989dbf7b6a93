/**
 * Operator commands for the outbox table:
 *
 *   outbox-cli stats                 pending and parked rows, age of the oldest
 *   outbox-cli parked [--limit N]    list parked rows with their last error
 *   outbox-cli requeue --all         put every parked row back in line
 *   outbox-cli requeue ID [ID…]      put these parked rows back in line
 *
 * Connects with DATABASE_URL (postgres://user:password@host:port/database).
 */
import { Client } from 'pg';
import { OutboxAdmin } from '../outbox-admin';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function runOutboxCli(
  args: string[],
  databaseUrl: string | undefined,
  out = console.log,
): Promise<number> {
  if (!databaseUrl) {
    console.error('DATABASE_URL is required, e.g. postgres://order_service:…@127.0.0.1:55432/orders');
    return 2;
  }
  const [command, ...rest] = args;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const admin = new OutboxAdmin({ query: async (sql, params) => (await client.query(sql, params)).rows });
  try {
    switch (command) {
      case 'stats':
        out(JSON.stringify(await admin.stats()));
        return 0;
      case 'parked': {
        const limitAt = rest.indexOf('--limit');
        const limit = limitAt >= 0 ? Number(rest[limitAt + 1]) : 100;
        for (const row of await admin.listParked(limit)) {
          out(
            `${row.id}  ${row.type}  ${row.aggregatetype}/${row.aggregateid}  attempts=${row.attempts}  parked=${row.parked_at.toISOString()}  error=${row.last_error ?? ''}`,
          );
        }
        return 0;
      }
      case 'requeue': {
        const ids = rest.filter((a) => a !== '--all');
        if (!rest.includes('--all') && ids.length === 0) throw new Error('requeue needs --all or one or more row ids');
        const bad = ids.find((id) => !UUID.test(id));
        if (bad) throw new Error(`not a row id: ${bad}`);
        const requeued = await admin.requeue(rest.includes('--all') ? undefined : ids);
        out(`requeued ${requeued.length} row(s)`);
        return 0;
      }
      default:
        console.error('usage: outbox-cli stats | parked [--limit N] | requeue --all | requeue ID [ID…]');
        return 2;
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
