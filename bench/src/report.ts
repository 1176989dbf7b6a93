import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One line of the result table; `pass` is null for figures printed for context only. */
export interface ResultRow {
  metric: string;
  value: number;
  baseline: number | null;
  ratio: number | null;
  target: string;
  unit: string;
  pass: boolean | null;
}

export type Check = (value: number, baseline: number | null) => boolean;

/** Builds a row; the ratio is value / baseline whenever there is a baseline. */
export function row(
  metric: string,
  value: number,
  baseline: number | null,
  unit: string,
  target: string,
  check?: Check,
): ResultRow {
  const ratio = baseline ? value / baseline : null;
  return { metric, value, baseline, ratio, target, unit, pass: check ? check(value, baseline) : null };
}

export const atLeastRatio =
  (min: number): Check =>
  (value, baseline) =>
    baseline !== null && baseline > 0 && value / baseline >= min;
export const atMostRatio =
  (max: number): Check =>
  (value, baseline) =>
    baseline !== null && baseline > 0 && value / baseline <= max;
export const atMost =
  (max: number): Check =>
  (value) =>
    value <= max;

const started = Date.now();

/** Progress on stderr-free stdout, stamped with the time since the bench started. */
export function progress(message: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[bench ${s}s] ${message}`);
}

const fmt = (n: number | null, digits = 2): string => {
  if (n === null || !Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(Math.abs(n) >= 100 ? 0 : digits);
};

/** The table as Markdown, so stdout and docs/benchmarks.md show the same thing. */
export function formatTable(rows: readonly ResultRow[]): string {
  const lines = [
    '| metric | value | baseline | ratio | target | pass |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.metric} | ${fmt(r.value)} ${r.unit} | ${r.baseline === null ? '-' : `${fmt(r.baseline)} ${r.unit}`} | ` +
        `${r.ratio === null ? '-' : `${fmt(r.ratio)}×`} | ${r.target} | ${r.pass === null ? 'info' : r.pass ? 'pass' : 'FAIL'} |`,
    ),
  ];
  return lines.join('\n');
}

export function writeJson(file: string, rows: readonly ResultRow[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
}
