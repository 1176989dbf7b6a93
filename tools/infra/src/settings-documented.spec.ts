import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from './settings';

/** tools/infra's sources, tests left out, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') && !/\.(int-|e2e-)?spec\.ts$/.test(e.name) ? [path] : [];
  });
}

const code = sources(join(ROOT_DIR, 'tools/infra/src')).map((f) => readFileSync(f, 'utf8'));
const readme = readFileSync(join(ROOT_DIR, 'README.md'), 'utf8');
/** README's settings table: variable → its default cell. */
const documented = new Map([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` +\| ([^|]+?) +\|/gm)].map((m) => [m[1], m[2]]));

describe('every environment variable tools/infra reads is in README.md', () => {
  const read = new Set(
    code.flatMap((c) =>
      [...c.matchAll(/\bprocess\.env\.([A-Z][A-Z0-9_]+)|\bint\('([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2]),
    ),
  );
  const infra = new Set(code.flatMap((c) => c.match(/\bINFRA_[A-Z0-9_]+\b/g) ?? []));

  it('finds the variables it reads (the scan itself works)', () => {
    expect([...read]).toEqual(
      expect.arrayContaining(['INFRA_DIR', 'INFRA_MODE', 'INFRA_PG_PORT', 'ORDER_DB_PASSWORD']),
    );
  });

  it.each([...new Set([...read, ...infra])].sort())('%s has a row in the settings table', (name) => {
    expect(documented.has(name)).toBe(true);
  });

  it.each(code.flatMap((c) => [...c.matchAll(/\bint\('([A-Z0-9_]+)', ([\d_]+)\)/g)]).map((m) => [m[1], m[2]]))(
    '%s is documented with its default %s',
    (name, fallback) => {
      expect(documented.get(name)).toBe(`\`${fallback.replace(/_/g, '')}\``);
    },
  );
});
