/**
 * Line charts as standalone SVG text, drawn without a browser or a DOM: axes with ticks,
 * labels, a legend, linear or log scales. Each series has its own colour (Okabe–Ito, safe
 * for colour-blind readers) and its own dash pattern and marker, so it reads in greyscale
 * too; <title> and <desc> name the chart for screen readers.
 */

export interface ChartAxis {
  label: string;
  /** Powers of ten; values ≤ 0 are left out. A linear axis always includes 0. */
  log?: boolean;
}

export interface ChartSeries {
  name: string;
  /** [x, y] pairs; pairs with a value that is not finite are left out. Marked when 60 or fewer. */
  points: readonly (readonly [number, number])[];
}

export interface Chart {
  title: string;
  /** What the chart shows and how it was measured, for readers who cannot see it. */
  description: string;
  x: ChartAxis;
  y: ChartAxis;
  series: readonly ChartSeries[];
}

export const WIDTH = 720;
export const HEIGHT = 440;
/** The plot area inside the frame; the margins hold the title, ticks, labels and legend. */
export const PLOT = { left: 80, top: 48, right: WIDTH - 24, bottom: HEIGHT - 110 } as const;

const MAX_MARKED = 60;
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
const DASHES = ['', '8 4', '2 3', '10 3 2 3', '4 4', '1 5'];

export interface Scale {
  /** Data value to pixel. */
  at(value: number): number;
  ticks: number[];
  /** Whether a value can be drawn on this axis at all. */
  accepts(value: number): boolean;
}

/** Ticks at 1, 2 or 5 times a power of ten, about `count` of them, covering [min, max]. */
function linearTicks(min: number, max: number, count = 6): number[] {
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.floor(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(+t.toPrecision(12));
  if (ticks[ticks.length - 1] < max) ticks.push(+(ticks[ticks.length - 1] + step).toPrecision(12));
  return ticks;
}

/** A scale for `values` onto the pixels [from, to] (to < from for a y axis). */
export function scale(axis: ChartAxis, values: readonly number[], from: number, to: number): Scale {
  const accepts = (v: number) => Number.isFinite(v) && (!axis.log || v > 0);
  const shown = values.filter(accepts);
  if (axis.log) {
    const lo = Math.floor(Math.log10(shown.length > 0 ? Math.min(...shown) : 1));
    let hi = Math.ceil(Math.log10(shown.length > 0 ? Math.max(...shown) : 10));
    if (hi === lo) hi += 1;
    const decades = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    // With few decades, 2 and 5 times each power help the eye.
    const ticks = hi - lo <= 2 ? decades.flatMap((d) => [d, 2 * d, 5 * d]).filter((t) => t <= 10 ** hi) : decades;
    return { at: (v) => from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from), ticks, accepts };
  }
  const min = Math.min(0, ...shown);
  const max = Math.max(...shown, min + 1e-9);
  const ticks = linearTicks(min, max);
  const [t0, t1] = [ticks[0], ticks[ticks.length - 1]];
  return { at: (v) => from + ((v - t0) / (t1 - t0)) * (to - from), ticks, accepts };
}

/** 1,500 → "1.5k", 2,000,000 → "2M", 0.25 → "0.25". */
export function formatTick(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

const escape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const px = (n: number) => +n.toFixed(1);

/** The chart as a complete SVG document. */
export function lineChart(chart: Chart): string {
  const xs = scale(
    chart.x,
    chart.series.flatMap((s) => s.points.map((p) => p[0])),
    PLOT.left,
    PLOT.right,
  );
  const ys = scale(
    chart.y,
    chart.series.flatMap((s) => s.points.map((p) => p[1])),
    PLOT.bottom,
    PLOT.top,
  );
  const text = (x: number, y: number, anchor: string, body: string, extra = '') =>
    `<text x="${px(x)}" y="${px(y)}" text-anchor="${anchor}"${extra}>${escape(body)}</text>`;
  const grid = [
    ...xs.ticks.map(
      (t) =>
        `<line class="grid" x1="${px(xs.at(t))}" y1="${PLOT.top}" x2="${px(xs.at(t))}" y2="${PLOT.bottom}"/>` +
        text(xs.at(t), PLOT.bottom + 18, 'middle', formatTick(t)),
    ),
    ...ys.ticks.map(
      (t) =>
        `<line class="grid" x1="${PLOT.left}" y1="${px(ys.at(t))}" x2="${PLOT.right}" y2="${px(ys.at(t))}"/>` +
        text(PLOT.left - 8, ys.at(t) + 4, 'end', formatTick(t)),
    ),
  ];
  const series = chart.series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const points = s.points.filter(([x, y]) => xs.accepts(x) && ys.accepts(y)).map(([x, y]) => [x, y] as const);
    const path = points.map(([x, y]) => `${px(xs.at(x))},${px(ys.at(y))}`).join(' ');
    const dash = DASHES[i % DASHES.length] ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"` : '';
    // Markers help a few points; on a long series they would hide the line.
    const marks = (points.length > MAX_MARKED ? [] : points).map(
      ([x, y]) =>
        `<circle class="point" cx="${px(xs.at(x))}" cy="${px(ys.at(y))}" r="3" fill="${colour}">` +
        `<title>${escape(`${s.name}: ${formatTick(x)}, ${formatTick(y)}`)}</title></circle>`,
    );
    return (
      `<g class="series" data-name="${escape(s.name)}">` +
      `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>${marks.join('')}</g>`
    );
  });
  const perRow = 3;
  const legend = chart.series.map((s, i) => {
    const x = PLOT.left + (i % perRow) * 205;
    const y = HEIGHT - 40 + Math.floor(i / perRow) * 18;
    const dash = DASHES[i % DASHES.length] ? ` stroke-dasharray="${DASHES[i % DASHES.length]}"` : '';
    return (
      `<line x1="${x}" y1="${y - 4}" x2="${x + 28}" y2="${y - 4}" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"${dash}/>` +
      text(x + 34, y, 'start', s.name)
    );
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
      `role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12">`,
    `<title id="chart-title">${escape(chart.title)}</title>`,
    `<desc id="chart-desc">${escape(chart.description)}</desc>`,
    `<style>.grid { stroke: #ddd; stroke-width: 1 } text { fill: #222 }</style>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    text(WIDTH / 2, 26, 'middle', chart.title, ' font-size="15" font-weight="bold"'),
    ...grid,
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#444"/>`,
    text(
      (PLOT.left + PLOT.right) / 2,
      PLOT.bottom + 42,
      'middle',
      `${chart.x.label}${chart.x.log ? ' (log scale)' : ''}`,
    ),
    text(
      18,
      (PLOT.top + PLOT.bottom) / 2,
      'middle',
      `${chart.y.label}${chart.y.log ? ' (log scale)' : ''}`,
      ` transform="rotate(-90 18 ${(PLOT.top + PLOT.bottom) / 2})"`,
    ),
    ...series,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
