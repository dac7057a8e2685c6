/**
 * An accuracy-versus-cost scatter as one self-contained SVG string: inline attributes only, no
 * fonts or style sheets to fetch, no ids (several charts share one HTML page), so it can be saved
 * as a file, pasted into a report or opened offline. Points that cannot be placed (no value, or
 * x ≤ 0 on a log scale) are left out and counted in a note, never moved.
 */
import { TECHNIQUES, type Technique } from '../recipe/vocabulary';
import { escapeXml, fmtCount } from './format';

/** One colour per technique, the dashboard's palette, so a report reads like the page. */
export const TECHNIQUE_COLOURS: Record<Technique, string> = {
  original: '#4f46e5', int8: '#0d9488', binary: '#d97706', mixed: '#db2777', pruned: '#16a34a', student: '#2563eb',
};

/** A record read from an older or foreign file may name a technique this build does not know: draw it grey. */
export const colourOf = (t: Technique): string => TECHNIQUE_COLOURS[t] ?? '#9ca3af';

export interface ScatterPoint {
  id: string;
  label: string;
  /** The cost (bytes, ms…). */
  x: number | null;
  /** Accuracy as a share, 0–1 (drawn in percent). */
  y: number | null;
  technique: Technique;
  /** An error bar along x, e.g. p5–p95 latency. */
  xLow?: number | null;
  xHigh?: number | null;
  frontier: boolean;
}

export interface ScatterOptions {
  points: readonly ScatterPoint[];
  width: number;
  height: number;
  xTitle: string;
  yTitle: string;
  title?: string;
  logX?: boolean;
  /** Tooltip text for x (default: 1.2 k, 3.4 M). */
  formatX?: (v: number) => string;
  /** Tick text for x (default formatX): round decimal ticks may read better in other units (5 kB, not 4.9 KiB). */
  formatTick?: (v: number) => string;
  /** Include the xmlns attribute (a file on its own needs it; SVG inline in HTML does not). Default true. */
  standalone?: boolean;
  /** Name the frontier points beside them, for a printed report without tooltips. Default true. */
  labelFrontier?: boolean;
}

const DIMMED = 0.35;
const AXIS = '#4b5163', GRID = '#e5e7eb', MUTED = '#6b7185';
const n1 = (v: number) => (Math.round(v * 10) / 10).toString();
const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** 1, 2 and 5 times powers of ten: the steps people read off an axis. */
function niceStep(rough: number): number {
  const p = 10 ** Math.floor(Math.log10(rough));
  const f = rough / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** Nice ticks inside [lo, hi]; `extend` first widens the domain to the ticks around it. */
export function linearTicks(lo: number, hi: number, count: number, extend: boolean): { lo: number; hi: number; ticks: number[]; step: number } {
  const step = niceStep((hi - lo) / count);
  // The epsilon forgives rounding towards the data: a bound on a tick stays on it (0 extends to 0, not −step).
  const a = extend ? Math.floor(lo / step + 1e-9) : Math.ceil(lo / step - 1e-9);
  const b = extend ? Math.ceil(hi / step - 1e-9) : Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let i = a; i <= b; i++) ticks.push(Number((i * step).toPrecision(12)));
  return extend ? { lo: a * step, hi: b * step, ticks, step } : { lo, hi, ticks, step };
}

/** A margin of `share` of the span on each side, so no point sits on an axis. */
function padded(axis: { lo: number; hi: number }, share: number, log: boolean): void {
  if (log) {
    const a = Math.log10(axis.lo), b = Math.log10(axis.hi), m = (b - a) * share;
    axis.lo = 10 ** (a - m); axis.hi = 10 ** (b + m);
  } else {
    const m = (axis.hi - axis.lo) * share;
    axis.lo -= m; axis.hi += m;
  }
}

/** Log ticks at 1·, 2·, 5·10^k; the domain widens to the ticks around the data, so every point sits between two. */
function logTicks(lo: number, hi: number): { lo: number; hi: number; ticks: number[] } {
  const all: number[] = [];
  for (let k = Math.floor(Math.log10(lo)) - 1; k <= Math.ceil(Math.log10(hi)) + 1; k++) {
    for (const m of [1, 2, 5]) all.push(Number((m * 10 ** k).toPrecision(12)));
  }
  let i = all.findLastIndex((t) => t <= lo * (1 + 1e-12));
  let j = all.findIndex((t) => t >= hi * (1 - 1e-12));
  if (i === j) { i--; j++; } // one value exactly on a tick: show the ticks either side
  let ticks = all.slice(i, j + 1);
  // Over three decades, 1-2-5 labels crowd: keep the powers of ten.
  if (ticks.length > 10) ticks = ticks.filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9);
  return { lo: all[i]!, hi: all[j]!, ticks };
}

function pctTick(v: number, step: number): string {
  const digits = step * 100 >= 1 ? 0 : step * 100 >= 0.1 ? 1 : 2;
  return `${(v * 100).toFixed(digits)} %`;
}

interface LegendItem { text: string; swatch: string }

/** The scatter as an SVG document string. */
export function scatterSvg(opts: ScatterOptions): string {
  const { width: W, height: H, logX = false, formatX = fmtCount, standalone = true, labelFrontier = true } = opts;
  const formatTick = opts.formatTick ?? formatX;
  const placeable = (v: number | null | undefined) => isNum(v) && (!logX || v > 0);

  let missing = 0, nonPositive = 0;
  const drawn: ScatterPoint[] = [];
  for (const p of opts.points) {
    if (!isNum(p.x) || !isNum(p.y)) missing++;
    else if (logX && p.x <= 0) nonPositive++;
    else drawn.push(p);
  }

  // Domains cover the points and their error bars.
  const xs = drawn.flatMap((p) => [p.x!, ...[p.xLow, p.xHigh].filter(placeable) as number[]]);
  const ys = drawn.map((p) => p.y!);
  let xLo = xs.length ? Math.min(...xs) : logX ? 1 : 0, xHi = xs.length ? Math.max(...xs) : logX ? 10 : 1;
  let yLo = ys.length ? Math.min(...ys) : 0, yHi = ys.length ? Math.max(...ys) : 1;
  if (!logX && xLo === xHi) { const d = Math.abs(xLo) * 0.1 || 1; xLo -= d; xHi += d; }
  if (yLo === yHi) { yLo -= 0.005; yHi += 0.005; } // half a point either side of a lone accuracy
  const xAxis = logX ? { ...logTicks(xLo, xHi), step: 0 } : linearTicks(xLo, xHi, 5, true);
  padded(xAxis, 0.04, logX);
  const yDomain = { lo: yLo, hi: yHi };
  padded(yDomain, 0.08, false);
  // Accuracy never leaves 0–100 %, whatever the margin says.
  if (yLo >= 0) yDomain.lo = Math.max(0, yDomain.lo);
  if (yHi <= 1) yDomain.hi = Math.min(1, yDomain.hi);
  const yAxis = linearTicks(yDomain.lo, yDomain.hi, 5, false);

  // Legend: the techniques present, then how to read the frontier; wrapped to the width.
  const present = TECHNIQUES.filter((t) => drawn.some((p) => p.technique === t));
  const legend: LegendItem[] = [
    ...present.map((t) => ({ text: t, swatch: `<rect width="10" height="10" y="-9" rx="2" fill="${TECHNIQUE_COLOURS[t]}"/>` })),
    ...(drawn.length ? [
      { text: 'Pareto frontier', swatch: `<path d="M0 -4H12" stroke="${MUTED}" stroke-width="1.5" fill="none"/>` },
      { text: 'dominated (dimmed)', swatch: `<rect width="10" height="10" y="-9" rx="5" fill="${MUTED}" fill-opacity="${DIMMED}"/>` },
    ] : []),
  ];
  const left = 62, right = 30;
  const legendRows: { x: number; item: LegendItem }[][] = [[]];
  let cursor = left;
  for (const item of legend) {
    const w = 18 + item.text.length * 6.2 + 14;
    if (cursor + w > W - right && legendRows.at(-1)!.length) { legendRows.push([]); cursor = left; }
    legendRows.at(-1)!.push({ x: cursor, item });
    cursor += w;
  }
  const titleH = opts.title ? 20 : 0;
  const legendH = legend.length ? legendRows.length * 16 : 0;
  const notes = [
    nonPositive ? `${nonPositive} point${nonPositive === 1 ? '' : 's'} with x ≤ 0 not shown on the log scale` : '',
    missing ? `${missing} point${missing === 1 ? '' : 's'} without a value not shown` : '',
  ].filter(Boolean).join('; ');
  const top = 8 + titleH + legendH + 6, bottom = 40 + (notes ? 14 : 0);
  const px0 = left, px1 = W - right, py0 = top, py1 = H - bottom;

  const sx = (v: number) => logX
    ? px0 + ((Math.log10(v) - Math.log10(xAxis.lo)) / (Math.log10(xAxis.hi) - Math.log10(xAxis.lo))) * (px1 - px0)
    : px0 + ((v - xAxis.lo) / (xAxis.hi - xAxis.lo)) * (px1 - px0);
  const sy = (v: number) => py1 - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * (py1 - py0);

  const out: string[] = [];
  out.push(`<svg${standalone ? ' xmlns="http://www.w3.org/2000/svg"' : ''} width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="11" role="img" aria-label="${escapeXml(opts.title ?? `${opts.yTitle} vs ${opts.xTitle}`)}">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="${px0}" y="${8 + 13}" font-size="13" font-weight="600" fill="${AXIS}">${escapeXml(opts.title)}</text>`);
  legendRows.forEach((row, r) => {
    const y = 8 + titleH + 12 + r * 16;
    for (const { x, item } of row) out.push(`<g transform="translate(${n1(x)} ${y})">${item.swatch}<text x="16" fill="${AXIS}">${escapeXml(item.text)}</text></g>`);
  });

  // Grid and ticks.
  for (const t of xAxis.ticks) {
    const x = n1(sx(t));
    out.push(`<line x1="${x}" y1="${py0}" x2="${x}" y2="${py1}" stroke="${GRID}"/>`);
    out.push(`<text x="${x}" y="${py1 + 14}" text-anchor="middle" fill="${MUTED}">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of yAxis.ticks) {
    const y = n1(sy(t));
    out.push(`<line x1="${px0}" y1="${y}" x2="${px1}" y2="${y}" stroke="${GRID}"/>`);
    out.push(`<text x="${px0 - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="${MUTED}">${escapeXml(pctTick(t, yAxis.step))}</text>`);
  }
  out.push(`<path d="M${px0} ${py0}V${py1}H${px1}" stroke="${AXIS}" fill="none"/>`);
  out.push(`<text x="${n1((px0 + px1) / 2)}" y="${py1 + 32}" text-anchor="middle" fill="${AXIS}">${escapeXml(opts.xTitle + (logX ? ' (log scale)' : ''))}</text>`);
  out.push(`<text transform="translate(14 ${n1((py0 + py1) / 2)}) rotate(-90)" text-anchor="middle" fill="${AXIS}">${escapeXml(opts.yTitle)}</text>`);
  if (notes) out.push(`<text x="${px1}" y="${H - 6}" text-anchor="end" font-size="10" fill="#9a3412">${escapeXml(notes)}</text>`);
  if (!drawn.length) out.push(`<text x="${n1((px0 + px1) / 2)}" y="${n1((py0 + py1) / 2)}" text-anchor="middle" fill="${MUTED}">no points to show</text>`);

  // The frontier as a staircase: between two frontier points the best accuracy within that cost is the cheaper one's.
  const front = drawn.filter((p) => p.frontier).sort((a, b) => a.x! - b.x! || b.y! - a.y!);
  if (front.length >= 2) {
    const d = front.map((p, i) => (i === 0 ? `M${n1(sx(p.x!))} ${n1(sy(p.y!))}` : `H${n1(sx(p.x!))}V${n1(sy(p.y!))}`)).join('');
    out.push(`<path class="frontier" d="${d}" stroke="${MUTED}" stroke-width="1.5" fill="none"/>`);
  }

  // Error bars under the points; dominated points before frontier ones so the frontier stays on top.
  for (const p of drawn) {
    if (!placeable(p.xLow) || !placeable(p.xHigh)) continue;
    const y = n1(sy(p.y!)), a = n1(sx(p.xLow!)), b = n1(sx(p.xHigh!));
    const opacity = p.frontier ? '' : ` stroke-opacity="${DIMMED}"`;
    out.push(`<path d="M${a} ${y}H${b}M${a} ${n1(sy(p.y!) - 3)}v6M${b} ${n1(sy(p.y!) - 3)}v6" stroke="${colourOf(p.technique)}"${opacity} fill="none"/>`);
  }
  for (const p of [...drawn.filter((q) => !q.frontier), ...front]) {
    const x = sx(p.x!), y = sy(p.y!);
    const range = isNum(p.xLow) && isNum(p.xHigh) ? ` (${formatX(p.xLow)}–${formatX(p.xHigh)})` : '';
    const tip = `${p.label}\n${opts.xTitle}: ${formatX(p.x!)}${range}\n${opts.yTitle}: ${(p.y! * 100).toFixed(2)} %`;
    out.push(`<circle cx="${n1(x)}" cy="${n1(y)}" r="4.5" fill="${colourOf(p.technique)}" stroke="#ffffff"${p.frontier ? '' : ` opacity="${DIMMED}"`}><title>${escapeXml(tip)}</title></circle>`);
    if (p.frontier && labelFrontier) {
      // Labels near the right edge go on the left of their point, so they stay inside the chart.
      const leftSide = x > px1 - 90;
      out.push(`<text x="${n1(leftSide ? x - 7 : x + 7)}" y="${n1(y - 6)}" font-size="10" fill="${AXIS}"${leftSide ? ' text-anchor="end"' : ''}>${escapeXml(p.label)}</text>`);
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
