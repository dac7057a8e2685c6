/**
 * Accuracy against weight bytes, file bytes and latency at batch 1 and 64: one point per variant
 * measured on the compared terms, coloured by technique, the Pareto frontier drawn as a staircase
 * and the dominated points dimmed, log axes, p5–p95 bars on latency; hover to read a point, click
 * to select it. Live: a variant finishing a job appears as its record arrives.
 */
import { useRef } from 'react';
import { CartesianGrid, ErrorBar, Legend, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useStudio } from '../../state/store';
import { select } from '../../state/link';
import { useDashboard } from '../../state/dashboard';
import { latencyAt, latestMeasurement, type Measurement, type MeasurementKey, type VariantRecord } from '../../recipe/variant';
import { TECHNIQUES, type Technique } from '../../recipe/vocabulary';
import { paretoFrontier } from '../../report/analysis';
import { TECHNIQUE_COLOURS } from '../../report/svg-chart';
import { fmtBytes, fmtMs } from '../format';
import { fmtBytesDecimal } from '../../report/format';
import { saveChartPng, saveChartSvg } from './chart-export';
import { Visible } from '../Visible';
import { Later } from '../Later';

interface Point { id: string; name: string; technique: Technique; x: number; y: number; err?: [number, number]; frontier: boolean }

interface Axis {
  id: string;
  title: string;
  x: (r: VariantRecord, m: Measurement) => number | null;
  err?: (m: Measurement) => [number, number] | null;
  format: (v: number) => string;
  /** Tick text: round decimal ticks read better in decimal units (50 kB, not 48.8 KiB). */
  tick?: (v: number) => string;
}

const latency = (batch: number): Pick<Axis, 'x' | 'err'> => ({
  x: (_r, m) => latencyAt(m, batch)?.medianMs ?? null,
  err: (m) => { const l = latencyAt(m, batch); return l ? [l.medianMs - l.p5Ms, l.p95Ms - l.medianMs] : null; },
});

const AXES: Axis[] = [
  { id: 'weights', title: 'weight bytes', x: (r) => r.stats.weightBytes, format: fmtBytes, tick: fmtBytesDecimal },
  { id: 'file', title: 'file bytes', x: (r) => r.stats.fileBytes, format: fmtBytes, tick: fmtBytesDecimal },
  { id: 'b1', title: 'latency, batch 1 (ms)', ...latency(1), format: fmtMs },
  { id: 'b64', title: 'latency, batch 64 (ms)', ...latency(64), format: fmtMs },
];

export function pointsOf(records: readonly VariantRecord[], key: MeasurementKey | null, axis: Axis, logX: boolean): Point[] {
  const pts = records.flatMap((r) => {
    const m = key ? latestMeasurement(r, key) : null;
    const x = m ? axis.x(r, m) : null;
    if (!m || x === null || !Number.isFinite(x) || (logX && x <= 0)) return [];
    const err = axis.err?.(m) ?? undefined;
    return [{ id: r.id, name: r.name, technique: r.technique, x, y: 100 * m.top1, ...(err ? { err } : {}), frontier: false }];
  });
  const front = paretoFrontier(pts);
  return pts.map((p) => ({ ...p, frontier: front.has(p.id) }));
}

/** The frontier as a staircase: from each frontier point right to the next one's x, then up to its y. */
function staircase(points: Point[]): { x: number; y: number }[] {
  const f = points.filter((p) => p.frontier).sort((a, b) => a.x - b.x || a.y - b.y);
  return f.flatMap((p, i) => (i === 0 ? [{ x: p.x, y: p.y }] : [{ x: p.x, y: f[i - 1]!.y }, { x: p.x, y: p.y }]));
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of [1, 2, 5]) { const v = m * 10 ** e; if (v >= lo && v <= hi) out.push(v); }
  return out.length >= 2 ? out : [lo, hi];
}

function PointTip({ active, payload, format }: { active?: boolean; payload?: { payload: Point }[]; format: (v: number) => string }) {
  const p = payload?.[0]?.payload;
  if (!active || !p || !('name' in p)) return null;
  return (
    <div className="tip" data-testid="chart-tip">
      <b className="mono">{p.name}</b>
      <div>{p.technique}{p.frontier ? ' · on the frontier' : ' · dominated'}</div>
      <div>top-1 {p.y.toFixed(2)} % · {format(p.x)}{p.err ? ` (p5–p95 ${format(p.x - p.err[0])}–${format(p.x + p.err[1])})` : ''}</div>
    </div>
  );
}

function Dot(props: { cx?: number; cy?: number; payload?: Point; fill?: string; selected: string | null }) {
  const { cx, cy, payload: p, fill, selected } = props;
  if (cx === undefined || cy === undefined || !p) return <g />;
  return (
    <circle cx={cx} cy={cy} r={p.id === selected ? 7 : 5} fill={fill} fillOpacity={p.frontier ? 0.95 : 0.35} stroke={p.id === selected ? '#111827' : '#fff'} strokeWidth={1.5}
      data-testid="chart-point" data-id={p.id} data-frontier={p.frontier ? '1' : '0'} style={{ cursor: 'pointer' }} />
  );
}

/** `order` staggers the charts' first draw: each mounts in a task of its own rather than all four in one. */
function Chart({ axis, records, keyOn, order }: { axis: Axis; records: readonly VariantRecord[]; keyOn: MeasurementKey | null; order: number }) {
  const logX = useDashboard((d) => d.logX);
  const selected = useStudio((s) => s.selectedId);
  const box = useRef<HTMLDivElement>(null);
  const points = pointsOf(records, keyOn, axis, logX);
  const xs = points.flatMap((p) => [p.x - (p.err?.[0] ?? 0), p.x + (p.err?.[1] ?? 0)]).filter((v) => !logX || v > 0);
  const lo = xs.length ? Math.min(...xs) : 1, hi = xs.length ? Math.max(...xs) : 10;
  const domain: [number, number] = logX ? [lo / 1.4, hi * 1.4] : [0, hi * 1.1 || 1];
  const ys = points.map((p) => p.y);
  const yDomain: [number, number] = ys.length ? [Math.max(0, Math.floor(Math.min(...ys) - 1)), Math.min(100, Math.ceil(Math.max(...ys) + 0.5))] : [0, 100];
  const unmeasured = records.length - points.length;
  return (
    <div className="card chart-card" data-testid={`chart-${axis.id}`} data-points={points.length} data-frontier={points.filter((p) => p.frontier).map((p) => p.id).join(',')}>
      <div className="toolbar">
        <b className="small">Accuracy vs {axis.title}</b>
        <span className="spacer" />
        <button className="small-btn" data-testid={`chart-${axis.id}-svg`} onClick={() => saveChartSvg(box.current, `accuracy-vs-${axis.id}`)}>SVG</button>
        <button className="small-btn" data-testid={`chart-${axis.id}-png`} onClick={() => void saveChartPng(box.current, `accuracy-vs-${axis.id}`)}>PNG</button>
      </div>
      <div ref={box}>
        {points.length ? (
          <Visible height={250}><Later order={order}><ResponsiveContainer width="100%" height={250}>
            <ScatterChart margin={{ top: 8, right: 16, bottom: 20, left: 4 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis type="number" dataKey="x" name={axis.title} scale={logX ? 'log' : 'linear'} domain={domain} allowDataOverflow
                ticks={logX ? logTicks(domain[0], domain[1]) : undefined} tickFormatter={(v: number) => (axis.tick ?? axis.format)(v)} tick={{ fontSize: 10 }}
                label={{ value: axis.title, position: 'insideBottom', offset: -12, fontSize: 11 }} />
              <YAxis type="number" dataKey="y" name="top-1" domain={yDomain} tick={{ fontSize: 10 }} width={44} tickFormatter={(v: number) => `${+v.toFixed(2)}%`} />
              <Tooltip content={<PointTip format={axis.format} />} cursor={{ strokeDasharray: '3 3' }} />
              <Scatter name="frontier" data={staircase(points)} line={{ stroke: '#6366f1', strokeWidth: 1.5, strokeDasharray: '5 3' }} shape={() => <g />} legendType="none" isAnimationActive={false} />
              {TECHNIQUES.filter((t) => points.some((p) => p.technique === t)).map((t) => (
                <Scatter key={t} name={t} data={points.filter((p) => p.technique === t)} fill={TECHNIQUE_COLOURS[t]} isAnimationActive={false}
                  shape={(props: object) => <Dot {...props} selected={selected} />} onClick={(p: { payload?: Point }) => { if (p.payload) void select(p.payload.id); }}>
                  {axis.err && <ErrorBar dataKey="err" direction="x" width={3} strokeWidth={1} stroke={TECHNIQUE_COLOURS[t]} />}
                </Scatter>
              ))}
              <Legend verticalAlign="top" height={22} iconSize={9} wrapperStyle={{ fontSize: 11 }} />
            </ScatterChart>
          </ResponsiveContainer></Later></Visible>
        ) : <div className="chart-placeholder muted small">No variant has this figure on the compared terms yet: evaluate one.</div>}
      </div>
      {unmeasured > 0 && points.length > 0 && <p className="muted small">{unmeasured} variant{unmeasured > 1 ? 's' : ''} not measured on these terms {unmeasured > 1 ? 'are' : 'is'} not shown.</p>}
    </div>
  );
}

export function TradeoffCharts({ records, keyOn }: { records: readonly VariantRecord[]; keyOn: MeasurementKey | null }) {
  const logX = useDashboard((d) => d.logX);
  return (
    <section data-testid="tradeoff-charts">
      <div className="toolbar">
        <h3 style={{ margin: '4px 0' }}>Trade-offs</h3>
        <label className="check small"><input type="checkbox" checked={logX} data-testid="chart-log" onChange={(e) => useDashboard.setState({ logX: e.target.checked })} /> log axes</label>
        <span className="muted small">Colour: {TECHNIQUES.map((t) => <span key={t} className="legend-chip" style={{ background: TECHNIQUE_COLOURS[t] }}>{t}</span>)}</span>
      </div>
      <div className="chart-grid">
        {AXES.map((a, i) => <Chart key={a.id} axis={a} records={records} keyOn={keyOn} order={i} />)}
      </div>
    </section>
  );
}
