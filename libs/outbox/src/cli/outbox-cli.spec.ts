import { outboxCliUsage, runOutboxCli, tableArgs } from './outbox-cli';

/** Runs the CLI without DATABASE_URL and keeps what it printed. */
async function runWithoutDatabase(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOutboxCli(
    args,
    undefined,
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('outbox CLI without DATABASE_URL', () => {
  it.each(['--help', '-h', 'help'])('%s prints the usage and exits 0', async (flag) => {
    expect(await runWithoutDatabase([flag])).toEqual({ code: 0, out: outboxCliUsage, err: '' });
  });

  it('prints the usage on stderr and exits 2 for an unknown command', async () => {
    const { code, out, err } = await runWithoutDatabase(['requeu', '--all']);
    expect({ code, out }).toEqual({ code: 2, out: '' });
    expect(err).toContain('unknown command: requeu');
    expect(err).toContain(outboxCliUsage);
  });

  it('prints the usage and exits 2 without a command', async () => {
    expect(await runWithoutDatabase([])).toEqual({ code: 2, out: '', err: outboxCliUsage });
  });

  it('asks for DATABASE_URL for a known command', async () => {
    const { code, err } = await runWithoutDatabase(['stats']);
    expect(code).toBe(2);
    expect(err).toContain('DATABASE_URL is required');
  });
});

describe('outbox CLI table options', () => {
  it('takes --schema and --table from anywhere among the arguments', () => {
    expect(tableArgs(['--schema', 'sales', 'requeue', '--table', 'order_events', '--all'])).toEqual({
      rest: ['requeue', '--all'],
      table: { schema: 'sales', table: 'order_events' },
    });
    expect(tableArgs(['stats'])).toEqual({ rest: ['stats'], table: {} });
  });

  it.each([
    ['stats', '--table'],
    ['--schema', '--table', 'x', 'stats'],
  ])('exits 2 with the usage when a name is missing: %s %s', async (...args) => {
    const { code, err } = await runWithoutDatabase(args);
    expect(code).toBe(2);
    expect(err).toMatch(/^--(table|schema) needs a name\n/);
    expect(err).toContain(outboxCliUsage);
  });
});
