import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT_DIR } from './settings';

/** The alert rules name metrics the code exports: a renamed metric must not silence an alert. */
describe('infra/prometheus/alerts.yml', () => {
  const rules = readFileSync(join(ROOT_DIR, 'infra/prometheus/alerts.yml'), 'utf8');
  // Every quoted snake_case name in the services' and libraries' sources (new files too).
  const sources = execFileSync(
    'git',
    ['grep', '--untracked', '-h', '-o', '-E', "'[a-z]+(_[a-z]+)+'", '--', 'libs/*.ts', 'apps/*.ts'],
    { cwd: ROOT_DIR, encoding: 'utf8' },
  );
  const exported = new Set(sources.split('\n').map((s) => s.slice(1, -1)));
  // Histograms and counters show up with suffixes; the rules use the base names.
  const used = new Set(
    [...rules.matchAll(/\b((?:outbox|inbox|kafka|rabbitmq|email)_[a-z_]+)\b/g)]
      .map((m) => m[1])
      .filter((name) => !name.endsWith('_dlt')),
  );

  it('uses only metrics the services export', () => {
    expect(used.size).toBeGreaterThanOrEqual(9);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
