import { DOMParser, Element } from '@xmldom/xmldom';
import { Chart, formatTick, lineChart, PLOT, scale } from './chart';

/** Parses the SVG as XML; xmldom throws on anything that is not well-formed. */
function parse(svg: string): Element {
  const root = new DOMParser().parseFromString(svg, 'image/svg+xml').documentElement;
  if (!root) throw new Error('no root element');
  return root;
}

const circles = (svg: Element, series: string) => {
  const group = Array.from(svg.getElementsByTagName('g')).find((g) => g.getAttribute('data-name') === series);
  return Array.from(group?.getElementsByTagName('circle') ?? []).map((c) => [
    Number(c.getAttribute('cx')),
    Number(c.getAttribute('cy')),
  ]);
};

const chart: Chart = {
  title: 'Latency <p99> & rate',
  description: 'Two series "a" and "b"',
  x: { label: 'offered rate (tx/s)', log: true },
  y: { label: 'latency (ms)' },
  series: [
    {
      name: 'a',
      points: [
        [10, 0],
        [100, 50],
        [1000, 100],
      ],
    },
    {
      name: 'b',
      points: [
        [10, 20],
        [0, 30], // not on a log axis
        [100, Number.NaN],
      ],
    },
  ],
};

describe('lineChart', () => {
  it('is well-formed SVG with a title and description for screen readers, text escaped', () => {
    const svg = parse(lineChart(chart));
    expect(svg.tagName).toBe('svg');
    expect(svg.getAttribute('role')).toBe('img');
    expect(svg.getElementsByTagName('title')[0].textContent).toBe('Latency <p99> & rate');
    expect(svg.getElementsByTagName('desc')[0].textContent).toBe('Two series "a" and "b"');
  });

  it('puts each point where its values are: log x from 10 to 1000, linear y from 0 to 100', () => {
    const svg = parse(lineChart(chart));
    const midX = (PLOT.left + PLOT.right) / 2;
    const midY = (PLOT.top + PLOT.bottom) / 2;
    expect(circles(svg, 'a')).toEqual([
      [PLOT.left, PLOT.bottom],
      [midX, midY],
      [PLOT.right, PLOT.top],
    ]);
    expect(circles(svg, 'b')).toEqual([[PLOT.left, PLOT.bottom - (PLOT.bottom - PLOT.top) / 5]]);
  });

  it('has a legend entry for each series and labels its axes, naming log scales', () => {
    const texts = Array.from(parse(lineChart(chart)).getElementsByTagName('text')).map((t) => t.textContent);
    expect(texts).toEqual(expect.arrayContaining(['a', 'b', 'offered rate (tx/s) (log scale)', 'latency (ms)']));
  });
});

describe('scale', () => {
  it('gives a linear axis round ticks from 0 past the largest value', () => {
    expect(scale({ label: '' }, [3, 87], 0, 100).ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(scale({ label: '' }, [0.3, 1.1], 0, 100).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1, 1.2]);
  });

  it('gives a log axis whole decades, with 2 and 5 when there are few', () => {
    expect(scale({ label: '', log: true }, [1500, 2e6], 0, 100).ticks).toEqual([1e3, 1e4, 1e5, 1e6, 1e7]);
    expect(scale({ label: '', log: true }, [3, 40], 0, 100).ticks).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });

  it('maps values onto pixels, y upwards', () => {
    const y = scale({ label: '' }, [0, 100], 300, 100);
    expect([y.at(0), y.at(50), y.at(100)]).toEqual([300, 200, 100]);
  });
});

describe('formatTick', () => {
  it('shortens thousands and millions', () => {
    expect([formatTick(0.25), formatTick(800), formatTick(1500), formatTick(2e6)]).toEqual([
      '0.25',
      '800',
      '1.5k',
      '2M',
    ]);
  });
});
