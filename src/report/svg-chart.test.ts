import { describe, expect, it } from 'vitest';
import { linearTicks, scatterSvg, TECHNIQUE_COLOURS, type ScatterPoint } from './svg-chart';
import { TECHNIQUES } from '../recipe/vocabulary';

const count = (s: string, needle: string) => s.split(needle).length - 1;
const chart = (points: ScatterPoint[], logX = true) =>
  scatterSvg({ points, width: 560, height: 360, xTitle: 'weight bytes', yTitle: 'top-1', title: 'Accuracy vs size', logX });

const P = (id: string, x: number | null, y: number | null, frontier: boolean, extra: Partial<ScatterPoint> = {}): ScatterPoint =>
  ({ id, label: id, x, y, technique: 'original', frontier, ...extra });

/** Every element the chart opens is closed or self-closed, in order: a small well-formedness check. */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (m[1]) { if (stack.pop() !== m[2]) return false; } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

describe('scatterSvg', () => {
  const points: ScatterPoint[] = [
    P('a', 30, 0.9, true, { technique: 'int8', label: 'tiny <&> "q"' }),
    P('b', 400, 0.95, true, { technique: 'pruned' }),
    P('c', 4000, 0.98, true),
    P('d', 1000, 0.93, false, { technique: 'pruned' }),
    P('zero', 0, 0.99, false),
    P('nan', 100, Number.NaN, false),
    P('null', null, 0.5, false),
  ];
  const svg = chart(points);

  it('is one self-contained, balanced SVG with a circle per drawable point', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(count(svg, '<circle')).toBe(4);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).not.toMatch(/<style|<link|@import|url\(/);
  });

  it('escapes text for XML', () => {
    expect(svg).toContain('tiny &lt;&amp;&gt; &quot;q&quot;');
    expect(svg).not.toContain('<&>');
  });

  it('draws the frontier as a staircase through the frontier points in x order, and dims the rest', () => {
    const d = /<path class="frontier" d="([^"]+)"/.exec(svg)?.[1];
    expect(d).toBeDefined();
    expect(d!.startsWith('M')).toBe(true);
    expect(count(d!, 'H')).toBe(2);
    expect(count(d!, 'V')).toBe(2);
    const xs = [...d!.matchAll(/[MH](-?[\d.]+)/g)].map((m) => Number(m[1]));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const dimmed = [...svg.matchAll(/<circle [^>]* opacity="0.35"><title>([^\n]+)\n/g)].map((m) => m[1]);
    expect(dimmed).toEqual(['d']);
  });

  it('says what it left out on a log scale', () => {
    expect(svg).toContain('1 point with x ≤ 0 not shown on the log scale');
    expect(svg).toContain('2 points without a value not shown');
    expect(chart(points.filter((p) => p.id !== 'zero'))).not.toContain('x ≤ 0');
  });

  it('places log ticks at 1·, 2· and 5· powers of ten around the data', () => {
    const ticks = [...svg.matchAll(/text-anchor="middle" fill="#6b7185">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(['20', '50', '100', '200', '500', '1 k', '2 k', '5 k']);
  });

  it('keeps a point with x ≤ 0 on a linear scale', () => {
    const linear = chart(points, false);
    expect(count(linear, '<circle')).toBe(5);
    expect(linear).not.toContain('x ≤ 0');
  });

  it('colours by technique and lists the techniques drawn in the legend', () => {
    expect(svg).toContain(`fill="${TECHNIQUE_COLOURS.int8}"`);
    expect(svg).toContain('>pruned</text>');
    expect(svg).not.toContain('>binary</text>');
    expect(new Set(TECHNIQUES.map((t) => TECHNIQUE_COLOURS[t])).size).toBe(TECHNIQUES.length);
  });

  it('gives each point a tooltip with its name, x and y', () => {
    expect(svg).toMatch(/<title>c\nweight bytes: 4 k\ntop-1: 98.00 %<\/title>/);
  });

  it('draws an error bar when given one', () => {
    const bar = chart([P('x', 2, 0.9, true, { xLow: 1.5, xHigh: 3 })]);
    expect(bar).toMatch(/<path d="M[\d.]+ [\d.]+H[\d.]+M/);
    expect(bar).toContain('(1.5–3)');
  });

  it('handles no point, one point and equal x values', () => {
    const none = chart([]);
    expect(none.startsWith('<svg')).toBe(true);
    expect(count(none, '<circle')).toBe(0);
    expect(none).toContain('no points to show');
    expect(none).not.toMatch(/NaN|Infinity/);

    const one = chart([P('one', 1000, 0.97, true)]);
    expect(count(one, '<circle')).toBe(1);
    expect(one).not.toContain('class="frontier"');
    expect(one).not.toMatch(/NaN|Infinity/);

    for (const logX of [true, false]) {
      const same = chart([P('p', 64, 0.9, false), P('q', 64, 0.95, true), P('r', 64, 0.95, true)], logX);
      expect(count(same, '<circle')).toBe(3);
      expect(same).not.toMatch(/NaN|Infinity/);
      expect(balanced(same)).toBe(true);
    }
  });

  it('leaves out the xmlns when inline', () => {
    const inline = scatterSvg({ points, width: 300, height: 200, xTitle: 'x', yTitle: 'y', standalone: false });
    expect(inline.startsWith('<svg width="300"')).toBe(true);
    expect(inline).not.toContain('http');
  });
});

describe('linearTicks', () => {
  it('extends a domain to the ticks around it, and a bound on a tick stays on it (a bar chart from 0 has no tick below 0)', () => {
    const t = linearTicks(0, 454_700, 4, true);
    expect(t.ticks[0]).toBe(0);
    expect(t.lo).toBe(0);
    expect(t.hi).toBeGreaterThanOrEqual(454_700);
    expect(t.ticks.at(-1)).toBe(t.hi);
    const u = linearTicks(0.2, 1, 4, true); // both bounds on ticks of 0.2: no step added either side
    expect(u.lo).toBeCloseTo(0.2, 12);
    expect(u.hi).toBeCloseTo(1, 12);
    expect(u.ticks).toHaveLength(5);
  });
});
