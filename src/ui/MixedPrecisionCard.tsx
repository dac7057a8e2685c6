import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { busyReason, rootRecord, useStudio } from '../state/store';
import { choicesOf, quantize, setScheme } from '../state/variants';
import { cancelJob } from '../state/link';
import { budgetInput, runAuto, runSensitivity, samplesInput, setAllLayers, setLayerPrecision, setMixedInputs } from '../state/mixed';
import type { JobView } from '../worker/jobs';
import { useFocusCard } from './focus';
import type { Precision, PrecisionLayer, SensitivityResult } from '../worker/types';
import { fmtInt, fmtPct } from './format';
import { Visible } from './Visible';

const PRECISIONS: Precision[] = ['fp32', 'int8', 'binary'];
const COLORS = { int8: '#0d9488', binary: '#d97706' } as const;

/** Per-layer precision (fp32 / int8 / binary), per-layer sensitivity, and the budgeted automatic choice. */
export function MixedPrecisionCard() {
  const layers = useStudio((s) => s.precisionLayers);
  const chosen = useStudio((s) => s.recipe.layers);
  const sensitivity = useStudio((s) => s.sensitivity);
  const original = useStudio((s) => rootRecord(s)?.id);
  const busy = useStudio((s) => Boolean(busyReason(s)));
  const ready = useStudio((s) => Boolean(s.selectedId && s.datasets.test && s.webgpu === 'ready'));
  const focus = useFocusCard('mixed');
  const budget = useStudio((s) => { const r = budgetInput(s); return 'value' in r ? r.value : null; });
  if (!layers?.length) return null;
  const choices = choicesOf(layers, chosen);
  const sens = sensitivity && sensitivity.model === original ? sensitivity : null;
  const byLayer = new Map(sens?.rows.map((r) => [r.layer, r]));
  const anyCompressed = Object.values(choices).some((p) => p !== 'fp32');
  return (
    <div className={focus.className} ref={focus.ref} data-testid="mixed-card">
      <h3>Mixed precision <span className="muted">· each Conv/Gemm layer in fp32, int8 or binary</span></h3>
      <p className="muted small hint">
        Layers differ in how much accuracy they lose when compressed. Sensitivity measures each layer alone at int8 (and binary); Auto then keeps the
        sensitive layers wide and compresses the rest, the smallest mix within your accuracy-drop budget. Expect most layers int8 and a few fp32.
      </p>
      <div className="toolbar">
        <span className="muted small">Set all:</span>
        {PRECISIONS.map((p) => (
          <button key={p} className="small-btn" data-testid={`mixed-all-${p}`} disabled={busy} onClick={() => setAllLayers(p)}>{p}</button>
        ))}
        <span className="spacer" />
        <button className="primary compact" data-testid="mixed-build" disabled={!ready || busy || !anyCompressed}
          title={anyCompressed ? 'Build a variant with exactly these precisions' : 'Every layer is fp32: choose int8 or binary for at least one'}
          onClick={() => { setScheme('mixed'); void quantize(); }}>Build this mix</button>
      </div>
      <table className="layers precision" data-testid="precision-table">
        <thead>
          <tr>
            <th>#</th><th>Layer</th><th>Op</th><th className="num">Params</th><th>Precision</th>
            <th className="num" title="accuracy change with only this layer int8 (Sensitivity)">Δ int8</th>
            <th className="num" title="accuracy change with only this layer binary (Sensitivity, also binary)">Δ binary</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l, i) => (
            <LayerRow key={l.name} index={i} layer={l} value={choices[l.name]!} busy={busy} sens={byLayer.get(l.name)} budget={budget} />
          ))}
        </tbody>
      </table>
      <SearchControls ready={ready} busy={busy} />
      {sens ? <SensitivityChart sens={sens} /> : <p className="muted small">Run Sensitivity to see which layers lose accuracy when compressed and should stay wide.</p>}
      <AutoSummary />
    </div>
  );
}

function LayerRow({ index, layer, value, busy, sens, budget }: {
  index: number; layer: PrecisionLayer; value: Precision; busy: boolean; sens?: SensitivityResult['rows'][number]; budget: number | null;
}) {
  // A layer that alone loses more than the whole budget is one to keep wide.
  const over = (drop: number | undefined) => (drop !== undefined && budget !== null && 100 * drop > budget + 1e-9 ? 'num bad' : 'num');
  const reasons = (['int8', 'binary'] as const).filter((p) => layer[p]).map((p) => ({ p, why: layer[p]! }));
  return (
    <tr data-testid="precision-row" data-layer={layer.name} data-precision={value}>
      <td className="muted">{index + 1}</td>
      <td><div className="mono lname" title={layer.name}>{layer.name}</div></td>
      <td><span className="op">{layer.opType}</span>{layer.edge && <span className="muted small"> {layer.edge}</span>}</td>
      <td className="num">{fmtInt(layer.params)}</td>
      <td>
        <select value={value} data-testid="precision-select" disabled={busy} aria-label={`precision of ${layer.name}`}
          onChange={(e) => setLayerPrecision(layer.name, e.target.value as Precision)}>
          {PRECISIONS.map((p) => {
            const why = p === 'fp32' ? null : layer[p];
            return <option key={p} value={p} disabled={Boolean(why)} title={why ?? undefined}>{why ? `${p} (not possible)` : p}</option>;
          })}
        </select>
        {reasons.map(({ p, why }) => <div key={p} className="refusal small" data-testid="precision-reason" data-precision={p}>{p}: {why}</div>)}
      </td>
      <td className={over(sens?.int8?.drop)} data-testid="sens-int8">{fmtDrop(sens?.int8?.drop)}</td>
      <td className={over(sens?.binary?.drop)} data-testid="sens-binary">{fmtDrop(sens?.binary?.drop)}</td>
    </tr>
  );
}

function fmtDrop(drop: number | undefined): string {
  if (drop === undefined) return '–';
  const pts = 100 * drop;
  return `${pts > 0 ? '−' : pts < 0 ? '+' : ''}${Math.abs(pts).toFixed(2)} pts`;
}

function SearchControls({ ready, busy }: { ready: boolean; busy: boolean }) {
  const inputs = useStudio((s) => s.mixedInputs);
  const job = useStudio((s) => (s.job && (s.job.kind === 'sensitivity' || /^Mixing/.test(s.job.label)) ? s.job : null));
  const samplesError = useStudio((s) => { const r = samplesInput(s); return 'error' in r ? r.error : null; });
  const budgetError = useStudio((s) => { const r = budgetInput(s); return 'error' in r ? r.error : null; });
  return (
    <div className="search">
      <div className="row wrap">
        <label className="field narrow">Evaluation samples
          <input type="number" min={1} value={inputs.samples} data-testid="sens-samples" disabled={busy} aria-invalid={Boolean(samplesError)}
            onChange={(e) => setMixedInputs({ samples: e.target.value })} />
        </label>
        <label className="check inline-check">
          <input type="checkbox" checked={inputs.binary} data-testid="sens-binary-toggle" disabled={busy} onChange={(e) => setMixedInputs({ binary: e.target.checked })} />
          also binary
        </label>
        <button data-testid="sensitivity" disabled={!ready || busy || Boolean(samplesError)} onClick={() => void runSensitivity()}>Sensitivity</button>
        <span className="divider" />
        <label className="field narrow">Accuracy-drop budget (pts)
          <input type="text" inputMode="decimal" value={inputs.budget} data-testid="auto-budget" disabled={busy} aria-invalid={Boolean(budgetError)}
            onChange={(e) => setMixedInputs({ budget: e.target.value })} />
        </label>
        <button className="primary compact" data-testid="auto" disabled={!ready || busy || Boolean(samplesError || budgetError)} onClick={() => void runAuto()}>Auto</button>
        <button data-testid="search-cancel" disabled={!job} onClick={cancelJob}>Cancel</button>
      </div>
      {samplesError && <p className="field-error small" data-testid="sens-samples-error">{samplesError}</p>}
      {budgetError && <p className="field-error small" data-testid="auto-budget-error">{budgetError}</p>}
      <p className="muted small hint">
        Samples are the first items of the dataset (the float model is measured on the same ones); int8 candidates share one calibration
        on the last items, as Quantize does. Auto keeps every layer int8 and returns the most sensitive ones to fp32 until the drop fits the budget;
        with "also binary", it then tries binary for the int8 layers whose binary drop alone fits, least sensitive first, keeping each only if the whole mix still fits.
      </p>
      {job && <SearchProgressBar job={job} />}
    </div>
  );
}

function SearchProgressBar({ job }: { job: JobView }) {
  const pct = job.total ? Math.round((100 * job.done) / job.total) : 0;
  const what = job.kind === 'sensitivity' ? 'Sensitivity' : 'Auto';
  const text = job.stage === 'calibration' ? `${what}: calibrating ${job.done} / ${job.total} samples`
    : job.stage === 'baseline' ? `${what}: measuring the float model`
      : job.stage === 'choose' ? `${what}: trying ${job.detail ?? ''} (trial ${job.done + 1})`
        : job.stage === 'accuracy' || job.stage === 'latency' ? `${what}: evaluating the result (${job.stage})`
          : `${what}: ${job.stage} layer ${job.done + 1} / ${job.total} · ${job.detail ?? ''}`;
  return (
    <div className="progress" data-testid="search-progress">
      <div className="bar"><div style={{ width: `${pct}%` }} /></div>
      <span>{text}</span>
    </div>
  );
}

type Series = 'int8' | 'binary' | 'both';

function SensitivityChart({ sens }: { sens: SensitivityResult }) {
  const [series, setSeries] = useState<Series>('int8');
  const budget = useStudio((s) => { const r = budgetInput(s); return 'value' in r ? r.value : null; });
  const shown: ('int8' | 'binary')[] = !sens.binary ? ['int8'] : series === 'both' ? ['int8', 'binary'] : [series];
  const data = sens.rows.map((r, i) => ({
    name: `${i + 1} ${shortName(r.layer)}`, layer: r.layer,
    int8: r.int8 ? +(100 * r.int8.drop).toFixed(2) : null,
    binary: r.binary ? +(100 * r.binary.drop).toFixed(2) : null,
  }));
  return (
    <div className="chart" data-testid="sensitivity-chart" data-layers={sens.rows.length} data-series={shown.join(',')}>
      <div className="chart-head">
        <span className="muted small">
          Accuracy drop per layer, that layer alone compressed · {fmtInt(sens.samples)} samples · float {fmtPct(sens.baseline)}
        </span>
        {sens.binary && (
          <select value={series} data-testid="sens-series" onChange={(e) => setSeries(e.target.value as Series)}>
            <option value="int8">int8</option>
            <option value="binary">binary</option>
            <option value="both">both</option>
          </select>
        )}
      </div>
      <Visible height={230}><ResponsiveContainer width="100%" height={230}>
        <BarChart data={data} margin={{ top: 18, right: 84, bottom: 8, left: 0 }} barCategoryGap="24%">
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" tick={{ fontSize: 10.5 }} interval={0} />
          <YAxis tick={{ fontSize: 10.5 }} width={56} unit=" pts" />
          <Tooltip formatter={(v, n) => [`${Number(v).toFixed(2)} pts`, `${n} drop`]} labelFormatter={(_, p) => String(p?.[0]?.payload?.layer ?? '')} />
          <Legend verticalAlign="top" height={24} iconSize={10} />
          <ReferenceLine y={0} stroke="#9aa0b4" />
          {budget !== null && shown.includes('int8') && (
            <ReferenceLine y={budget} stroke="#b91c1c" strokeDasharray="4 3" label={{ value: `budget ${budget} pts`, position: 'right', fontSize: 10.5, fill: '#b91c1c' }} />
          )}
          {shown.map((k) => (
            <Bar key={k} dataKey={k} name={k} fill={COLORS[k]} isAnimationActive={false} minPointSize={2}>
              <LabelList dataKey={k} position="top" fontSize={10.5} fill="#4b5163" formatter={(v: unknown) => (v === null || v === undefined ? '' : Number(v).toFixed(2))} />
            </Bar>
          ))}
        </BarChart>
      </ResponsiveContainer></Visible>
    </div>
  );
}

function AutoSummary() {
  const v = useStudio((s) => s.records.findLast((r) => r.step?.resolved.kind === 'mixed' && Boolean(r.details.auto)));
  if (!v) return null;
  const name = v.name;
  const a = v.details.auto as { budget: number; drop: number; accuracy: number; baseline: number; samples: number };
  const precisions = v.details.precisions as Record<string, Precision>;
  const n = (p: Precision) => Object.values(precisions).filter((x) => x === p).length;
  return (
    <p className="auto-result small" data-testid="auto-result" data-drop={(100 * a.drop).toFixed(4)} data-budget={(100 * a.budget).toFixed(4)} data-samples={a.samples}>
      Auto picked <b>{n('int8')} int8 · {n('fp32')} fp32</b> ({name}): accuracy {fmtPct(a.accuracy)} against float {fmtPct(a.baseline)},
      a drop of <b>{(100 * a.drop).toFixed(2)} pts</b> on {fmtInt(a.samples)} samples, within the {(100 * a.budget).toFixed(2)} pts budget
      {a.drop > a.budget + 1e-9 ? ' (not met even with every layer fp32)' : ''}.
    </p>
  );
}

/** The last two path segments of exporter names like '/features/features.0/Conv'. */
function shortName(name: string): string {
  const parts = name.split('/').filter(Boolean);
  return parts.slice(-2).join('/') || name;
}
