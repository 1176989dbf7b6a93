import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { outboxSql } from './outbox-sql';

describe('outboxSql', () => {
  it('names the configured table, quoted and qualified, in every statement', () => {
    const { table, ...statements } = outboxSql({ schema: 'sales', table: 'order_events' });
    expect(table.qualified).toBe('"sales"."order_events"');
    for (const [name, sql] of Object.entries(statements)) {
      expect([name, sql.includes('"sales"."order_events"')]).toEqual([name, true]);
      expect([name, /\boutbox\b/.test(sql)]).toEqual([name, false]);
    }
  });

  it('keeps every statement as it is for one shard, and filters claims and the frontier for one of several', () => {
    expect(outboxSql({}, { index: 0, count: 1 })).toEqual(outboxSql());
    const whole = outboxSql();
    const shard = outboxSql({}, { index: 3, count: 4 });
    const filter = "('x' || left(md5(o.aggregateid), 8))::bit(32)::bigint % 4 = 3";
    expect(shard.claim).toBe(whole.claim.replace(/(, true\))\n/, `$1 AND ${filter}\n`));
    expect(shard.markAndClaim).toContain(filter);
    expect(shard.frontier).toContain(filter.replace('o.aggregateid', '"public"."outbox".aggregateid'));
    for (const key of ['insert', 'blocked', 'markPublished', 'deletePublished', 'stats'] as const)
      expect(shard[key]).toBe(whole[key]);
  });

  it('passes the name to regclass and the sequence lookup as a literal', () => {
    const sql = outboxSql({ schema: "it's", table: 'o' });
    expect(sql.frontier).toContain(`pg_get_serial_sequence('"it''s"."o"', 'seq')`);
    expect(sql.frontier).toContain(`relation = '"it''s"."o"'::regclass`);
    expect(sql.deadRows).toContain(`relid = '"it''s"."o"'::regclass`);
  });
});

/** The core entry point must load without a broker client, NestJS or prom-client. */
describe('the core of libs/outbox', () => {
  const src = __dirname;
  const adapters = ['kafkajs', 'nest', 'prometheus'];
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const path = join(dir, f);
      if (statSync(path).isDirectory()) return adapters.includes(relative(src, path)) ? [] : files(path);
      return /\.ts$/.test(f) && !/\.(int-)?spec\.ts$/.test(f) ? [path] : [];
    });

  it('imports no kafkajs, @nestjs/* or prom-client, nor an adapter folder', () => {
    const core = files(src);
    expect(core.length).toBeGreaterThan(10);
    const offenders = core.filter((path) =>
      /from '(kafkajs|@nestjs\/[^']*|prom-client|\.\.?\/(kafkajs|nest|prometheus)(\/[^']*)?)'/.test(
        readFileSync(path, 'utf8'),
      ),
    );
    expect(offenders.map((p) => relative(src, p))).toEqual([]);
  });
});
