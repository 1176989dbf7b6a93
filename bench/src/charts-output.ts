import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from '@shop/infra';
import { Chart, lineChart } from './chart';
import { progress } from './report';

const charts = new Map<string, Chart>();

/** Keeps a step's chart until the run ends; `name` is its file name without `.svg`. */
export function addChart(name: string, chart: Chart): void {
  charts.set(name, chart);
}

/**
 * Writes each chart as SVG under bench/results/charts/ and their data to
 * bench/results/charts.json (both git-ignored); a full run also writes the SVGs under
 * docs/benchmarks/, to be committed. Quick runs never touch docs/, so CI leaves the tree clean.
 */
export function writeCharts(full: boolean): void {
  if (charts.size === 0) return;
  const dirs = [join(ROOT_DIR, 'bench/results/charts'), ...(full ? [join(ROOT_DIR, 'docs/benchmarks')] : [])];
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    for (const [name, chart] of charts) writeFileSync(join(dir, `${name}.svg`), lineChart(chart));
  }
  writeFileSync(
    join(ROOT_DIR, 'bench/results/charts.json'),
    `${JSON.stringify(Object.fromEntries(charts), null, 2)}\n`,
  );
  progress(
    `charts: ${[...charts.keys()].join(', ')} in ${dirs.map((d) => d.slice(ROOT_DIR.length + 1)).join(' and ')}`,
  );
}
