import { useEffect } from 'react';
import { useStudio } from '../state/store';
import { chooseWeightsLayer, showWeights } from '../state/variants';
import type { WeightHistogram } from '../worker/types';
import { BarSvg } from './charts/SvgCharts';
import { fmtInt } from './format';

const WEIGHT_OPS = new Set(['Conv', 'Gemm', 'MatMul']);
const FILLS = ['#818cf8', '#0d9488'];

/** Before/after weight histograms of one layer: the loaded file against the current variant. */
export function WeightsCard() {
  const layers = useStudio((s) => s.records.find((r) => !r.parentId && (r.id === s.selectedId || isRootOf(s.records, r.id, s.selectedId)))?.stats.layers);
  const current = useStudio((s) => s.selectedId);
  const weights = useStudio((s) => s.weights);
  const choices = (layers ?? []).filter((l) => WEIGHT_OPS.has(l.op) && l.params > 0);
  const layer = weights && choices.some((l) => l.name === weights.layer) ? weights.layer : choices[0]?.name;

  useEffect(() => {
    if (layer && current) void showWeights(layer);
  }, [layer, current]);

  if (!layer) return null;
  const hist = weights?.layer === layer ? weights.histogram : null;
  return (
    <div className="card" data-testid="weights-card">
      <h3>Weights <span className="muted">· distribution of one layer's weights, original against the current variant</span></h3>
      <label className="field inline">Layer
        <select value={layer} data-testid="weights-layer" onChange={(e) => chooseWeightsLayer(e.target.value)}>
          {choices.map((l) => <option key={l.name} value={l.name}>{l.name} · {l.op} · {fmtInt(l.params)} params</option>)}
        </select>
      </label>
      {weights?.error && <p className="muted small">{weights.error}</p>}
      {hist ? <HistogramChart hist={hist} /> : !weights?.error && <div className="chart-placeholder muted small">Loading…</div>}
      {hist && hist.series.length === 1 && <p className="muted small">Quantize, or select a variant, to compare its weights with the original's.</p>}
    </div>
  );
}

function isRootOf(records: { id: string; parentId: string | null }[], root: string, id: string | null): boolean {
  for (let r = records.find((x) => x.id === id), i = 0; r && i <= records.length; r = records.find((x) => x.id === r!.parentId), i++) if (r.id === root) return true;
  return false;
}

function HistogramChart({ hist }: { hist: WeightHistogram }) {
  const bins = hist.series[0]!.counts.map((_, i) => fmtEdge((hist.edges[i]! + hist.edges[i + 1]!) / 2));
  return (
    <div className="chart" data-testid="weights-chart" data-series={hist.series.length}>
      <BarSvg categories={bins} height={200} yWidth={48} legend
        series={hist.series.map((s, j) => ({ name: `${s.name} (${j ? 'current variant' : 'original'})`, colour: FILLS[j % FILLS.length]!, values: s.counts }))}
        title={(bin, name, v) => `${name}: ${fmtInt(v)} weights near ${bin}`} />
    </div>
  );
}

function fmtEdge(x: number): string {
  return Math.abs(x) < 1e-9 ? '0' : x.toPrecision(2);
}
