/**
 * Plain SVG line and bar charts for the workbench's live and after-a-job charts. Measured on the
 * production build (2-core machine): a recharts 3 chart costs 70–90 ms of main thread to mount and
 * again to take new data (its redux store re-renders synchronously), so three training curves held
 * the page for 200+ ms every update; these draw in a few milliseconds. The dashboard, where charts
 * mount once on request and need recharts' interactions, keeps recharts.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { linearTicks } from '../../report/svg-chart';

const AXIS = '#4b5163', GRID = '#e5e7eb';
const M = { top: 8, right: 14, bottom: 22, left: 0 };

/** The element's width, from a ResizeObserver (no layout read while rendering). */
function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver((entries) => setWidth(Math.floor(entries[0]!.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

export interface LineSeries<Row> {
  key: keyof Row & string;
  name: string;
  colour: string;
  dashed?: boolean;
  /** Draw a dot at each value (sparse series such as one test accuracy per epoch). */
  dots?: boolean;
  strokeWidth?: number;
}

interface LineProps<Row> {
  data: readonly Row[];
  x: keyof Row & string;
  lines: readonly LineSeries<Row>[];
  height: number;
  xDomain?: [number, number];
  /** A fixed end, or 'auto' to fit the data. */
  yDomain?: [number | 'auto', number | 'auto'];
  yTick?: (v: number) => string;
  yWidth?: number;
  xLabel?: string;
  /** Hover text of one value. */
  format?: (v: number) => string;
  testId?: string;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function Legend({ items }: { items: readonly { name: string; colour: string; dashed?: boolean }[] }) {
  return (
    <div className="svg-legend">
      {items.map((s) => (
        <span key={s.name}><svg width="14" height="8" aria-hidden><line x1="0" y1="4" x2="14" y2="4" stroke={s.colour} strokeWidth="2" strokeDasharray={s.dashed ? '4 2' : undefined} /></svg>{s.name}</span>
      ))}
    </div>
  );
}

/** Lines over a numeric x axis; missing values are skipped and the line joins across them. Hover reads the nearest x. */
export function LineSvg<Row extends object>(p: LineProps<Row>): ReactNode {
  const [ref, width] = useWidth();
  const [hover, setHover] = useState<number | null>(null);
  const get = (r: Row, k: string) => num((r as Record<string, unknown>)[k]);
  const xs = p.data.map((r) => get(r, p.x) ?? 0);
  const values = p.lines.flatMap((l) => p.data.map((r) => get(r, l.key)).filter((v): v is number => v !== null));
  const [x0, x1] = p.xDomain ?? [Math.min(0, ...xs), Math.max(1, ...xs)];
  const auto = values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  let lo = p.yDomain?.[0] === undefined || p.yDomain[0] === 'auto' ? auto[0]! : p.yDomain[0];
  let hi = p.yDomain?.[1] === undefined || p.yDomain[1] === 'auto' ? auto[1]! : p.yDomain[1];
  if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
  const yt = linearTicks(lo, hi, 4, p.yDomain?.[0] === 'auto' || p.yDomain?.[1] === 'auto' || !p.yDomain);
  if (p.yDomain?.[0] === 'auto' || !p.yDomain) lo = yt.lo;
  if (p.yDomain?.[1] === 'auto' || !p.yDomain) hi = yt.hi;
  const left = p.yWidth ?? 44, w = Math.max(0, width - left - M.right), h = p.height - M.top - M.bottom;
  const sx = (v: number) => left + ((v - x0) / (x1 - x0 || 1)) * w;
  const sy = (v: number) => M.top + (1 - (v - lo) / (hi - lo)) * h;
  const xt = linearTicks(x0, x1, Math.max(2, Math.floor(w / 70)), false).ticks;
  const fmtY = p.yTick ?? ((v: number) => String(+v.toFixed(2)));
  // No more vertices than pixels: the last point of each pixel column stands for it.
  const path = (k: string) => {
    const pts: string[] = [];
    let lastPx = -1;
    p.data.forEach((r, i) => {
      const v = get(r, k);
      if (v === null) return;
      const px = Math.round(sx(xs[i]!));
      const pt = `${px},${sy(v).toFixed(1)}`;
      if (px === lastPx) pts[pts.length - 1] = pt; else pts.push(pt);
      lastPx = px;
    });
    return pts.join(' ');
  };
  const onMove = (e: React.MouseEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const xv = x0 + ((e.clientX - box.left) / (box.width || 1)) * (x1 - x0);
    let best = -1;
    xs.forEach((v, i) => { if (best < 0 || Math.abs(v - xv) < Math.abs(xs[best]! - xv)) best = i; });
    setHover(best < 0 ? null : best);
  };
  const row = hover === null ? null : p.data[hover];
  const fmt = p.format ?? ((v: number) => String(+v.toFixed(4)));
  return (
    <div className="svg-chart" data-testid={p.testId} data-points={p.data.length}>
      <Legend items={p.lines.map((l) => ({ name: l.name, colour: l.colour, dashed: l.dashed }))} />
      <div ref={ref} style={{ position: 'relative', height: p.height }}>
        {width > 0 && (
          <svg width={width} height={p.height} role="img">
            {yt.ticks.filter((t) => t >= lo && t <= hi).map((t) => (
              <g key={`y${t}`}>
                <line x1={left} x2={left + w} y1={sy(t)} y2={sy(t)} stroke={GRID} strokeDasharray="3 3" />
                <text x={left - 4} y={sy(t) + 4} textAnchor="end" fontSize="11" fill={AXIS}>{fmtY(t)}</text>
              </g>
            ))}
            {xt.map((t) => <text key={`x${t}`} x={sx(t)} y={M.top + h + 14} textAnchor="middle" fontSize="11" fill={AXIS}>{t}</text>)}
            {p.xLabel && <text x={left + w} y={M.top + h - 4} textAnchor="end" fontSize="11" fill={AXIS}>{p.xLabel}</text>}
            <line x1={left} x2={left + w} y1={M.top + h} y2={M.top + h} stroke={AXIS} />
            {p.lines.map((l) => (
              <g key={l.key}>
                <polyline points={path(l.key)} fill="none" stroke={l.colour} strokeWidth={l.strokeWidth ?? 1.5} strokeDasharray={l.dashed ? '4 3' : undefined} />
                {l.dots && p.data.map((r, i) => { const v = get(r, l.key); return v === null ? null : <circle key={i} cx={sx(xs[i]!)} cy={sy(v)} r="3" fill={l.colour} />; })}
              </g>
            ))}
            {row && <line x1={sx(xs[hover!]!)} x2={sx(xs[hover!]!)} y1={M.top} y2={M.top + h} stroke={AXIS} strokeOpacity="0.4" />}
            <rect x={left} y={M.top} width={w} height={h} fill="transparent" onMouseMove={onMove} onMouseLeave={() => setHover(null)} />
          </svg>
        )}
        {row && (
          <div className="tip svg-tip" style={{ left: Math.min(sx(xs[hover!]!) + 8, Math.max(0, width - 160)) }}>
            <div>{p.x} {xs[hover!]}</div>
            {p.lines.map((l) => { const v = get(row, l.key); return v === null ? null : <div key={l.key} style={{ color: l.colour }}>{l.name}: {fmt(v)}</div>; })}
          </div>
        )}
      </div>
    </div>
  );
}

export interface BarSeries { name: string; colour: string; values: readonly number[] }

interface BarProps {
  categories: readonly string[];
  /** Side by side within each category. */
  series: readonly BarSeries[];
  height: number;
  /** The top of the axis; fitted to the data when absent. */
  max?: number;
  yTick?: (v: number) => string;
  yWidth?: number;
  /** Hover text of one bar. */
  title: (category: string, series: string, value: number) => string;
  legend?: boolean;
  /** Slant the category names (long layer names), taking more room below the axis. */
  slantLabels?: boolean;
  testId?: string;
}

/** Bars per category on [0, max], one per series side by side; each bar's title is its hover text. */
export function BarSvg(p: BarProps): ReactNode {
  const [ref, width] = useWidth();
  const peak = Math.max(0, ...p.series.flatMap((s) => s.values));
  const yt = linearTicks(0, p.max ?? (peak || 1), 4, p.max === undefined);
  const max = p.max ?? yt.hi;
  const below = p.slantLabels ? 46 : M.bottom;
  const left = p.yWidth ?? 44, w = Math.max(0, width - left - M.right), h = p.height - M.top - below;
  const band = p.categories.length ? w / p.categories.length : 0;
  const barW = (band * 0.8) / Math.max(1, p.series.length);
  const sy = (v: number) => M.top + (1 - Math.min(v, max) / max) * h;
  const fmtY = p.yTick ?? String;
  // A label every so many bars, so they do not overlap; as many characters as the room allows.
  const every = Math.max(1, Math.ceil((p.slantLabels ? 16 : 64) / Math.max(band, 1)));
  const room = p.slantLabels ? 22 : Math.max(4, Math.floor((band * every) / 6.5));
  const label = (c: string) => (c.length > room ? `…${c.slice(c.length - room + 1)}` : c);
  return (
    <div className="svg-chart" data-testid={p.testId}>
      {p.legend && <Legend items={p.series} />}
      <div ref={ref} style={{ height: p.height }}>
        {width > 0 && (
          <svg width={width} height={p.height} role="img">
            {yt.ticks.filter((t) => t <= max).map((t) => (
              <g key={t}>
                <line x1={left} x2={left + w} y1={sy(t)} y2={sy(t)} stroke={GRID} strokeDasharray="3 3" />
                <text x={left - 4} y={sy(t) + 4} textAnchor="end" fontSize="11" fill={AXIS}>{fmtY(t)}</text>
              </g>
            ))}
            {p.categories.map((c, i) => (
              <g key={`${c}${i}`}>
                {p.series.map((s, j) => {
                  const v = s.values[i] ?? 0;
                  return (
                    <rect key={s.name} x={left + i * band + band * 0.1 + j * barW} width={Math.max(0.5, barW - (p.series.length > 1 ? 0.5 : 0))} y={sy(v)} height={M.top + h - sy(v)} fill={s.colour}>
                      <title>{p.title(c, s.name, v)}</title>
                    </rect>
                  );
                })}
                {i % every === 0 && (p.slantLabels
                  ? <text transform={`translate(${left + (i + 0.5) * band},${M.top + h + 10}) rotate(-20)`} textAnchor="end" fontSize="10" fill={AXIS}>{label(c)}</text>
                  : <text x={left + (i + 0.5) * band} y={M.top + h + 14} textAnchor="middle" fontSize="11" fill={AXIS}>{label(c)}</text>)}
              </g>
            ))}
            <line x1={left} x2={left + w} y1={M.top + h} y2={M.top + h} stroke={AXIS} />
          </svg>
        )}
      </div>
    </div>
  );
}
