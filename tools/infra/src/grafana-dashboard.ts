import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT_DIR } from './settings';

export interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  panels?: DashboardPanel[];
}
export interface Dashboard {
  title: string;
  panels: DashboardPanel[];
}
export interface PanelQuery {
  panel: string;
  expr: string;
}

export const dashboardFile = join(ROOT_DIR, 'infra/grafana/dashboards/outbox.json');
export const readDashboard = (file = dashboardFile): Dashboard => JSON.parse(readFileSync(file, 'utf8')) as Dashboard;

/** Series Prometheus adds to every scrape itself: no service exports them. */
const scrapeSeries = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_series_added']);

const promqlWords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or']);
promqlWords.add('unless').add('offset').add('inf').add('nan');

/** Panels, rows' own panels included; rows themselves hold no query. */
const queryPanels = (panels: DashboardPanel[]): DashboardPanel[] =>
  panels.flatMap((p) => (p.type === 'row' ? queryPanels(p.panels ?? []) : [p]));

/** Each query with its panel's title; a panel without a data source or a query is a problem. */
export function dashboardQueries(dashboard: Dashboard): { queries: PanelQuery[]; problems: string[] } {
  const queries: PanelQuery[] = [];
  const problems: string[] = [];
  for (const panel of queryPanels(dashboard.panels)) {
    if (!panel.datasource?.uid) problems.push(`panel "${panel.title}" has no datasource`);
    const exprs = (panel.targets ?? []).map((t) => t.expr?.trim() ?? '');
    if (exprs.length === 0 || exprs.includes('')) problems.push(`panel "${panel.title}" has a missing or empty query`);
    for (const expr of exprs) if (expr) queries.push({ panel: panel.title, expr });
  }
  return { queries, problems };
}

/**
 * The metric names a PromQL expression selects: label matchers, range and grouping clauses
 * and strings removed, what is left is names, functions (followed by `(`), keywords, numbers.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)].map((m) => m[1]);
  return [...new Set(names.filter((n) => !promqlWords.has(n.toLowerCase())))];
}

/** Every series name a Prometheus text exposition can hold, from its `# TYPE` lines. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
    if (type === 'summary') ['_sum', '_count'].forEach((s) => names.add(name + s));
  }
  return names;
}

/** Each query's metric that is not in `exported`, named with its panel. */
export function unknownMetrics(queries: PanelQuery[], exported: Set<string>): string[] {
  return queries.flatMap(({ panel, expr }) =>
    metricNames(expr)
      .filter((name) => !exported.has(name) && !scrapeSeries.has(name))
      .map((name) => `panel "${panel}" uses ${name}, which no service exports`),
  );
}

/**
 * promtool parses each query: written as a recording rule (panel_<index>) into a rules
 * file, `promtool check rules` names the rules that do not parse.
 */
export function promqlProblems(queries: PanelQuery[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-queries-'));
  try {
    const rules = queries.map(({ expr }, i) => ({ record: `panel_${i}`, expr }));
    const file = join(dir, 'queries.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
    const res = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (res.error) throw new Error(`promtool could not be started (apt-get install prometheus): ${res.error.message}`);
    if (res.status === 0) return [];
    const out = `${res.stdout}${res.stderr}`;
    const failing = [...out.matchAll(/"panel_(\d+)": (.*)$/gm)].map(([, i, error]) => {
      const { panel, expr } = queries[Number(i)];
      return `panel "${panel}": ${error} in ${expr}`;
    });
    return failing.length > 0 ? failing : [`promtool check rules failed: ${out.trim()}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
