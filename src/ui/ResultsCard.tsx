import { recordOf, useStudio } from '../state/store';
import { latencyAt, latestMeasurement, type LatencyFigure } from '../recipe/variant';
import { describePreprocess } from '../recipe/vocabulary';
import { fmtInt, fmtBytes, fmtMs, fmtPct } from './format';
import { describeRuns, LATENCY_BUDGET_MS, type LayerProfile } from '../core/latency';
import { LayerTimes } from './LayerTimes';

/** The selected variant's latest measurement; its whole history is in the dashboard. */
export function ResultsCard() {
  const r = useStudio((s) => recordOf(s, s.selectedId));
  const records = useStudio((s) => s.records);
  const last = r ? latestMeasurement(r) : null;
  if (!r || !last) {
    return (
      <div className="card results empty" data-testid="results">
        <h3>Results</h3>
        <p className="muted">Press <b>Evaluate</b> to measure {r ? <span className="mono">{r.name}</span> : 'the selected variant'} on the dataset and its latency on this device.</p>
      </div>
    );
  }
  const b1 = latencyAt(last, 1), b64 = latencyAt(last, 64);
  const own = last.latency.find((l) => l.batch !== 1 && l.batch !== 64);
  const skipped = (b: number) => last.latencySkipped.find((s) => s.batch === b);
  const latencyMetric = (b: number, l: LatencyFigure | null) => {
    const s = skipped(b);
    if (s) return <Metric label={`Latency, batch ${b}`} value="n/a" sub={`the model ${s.reason}`} testid={`latency-b${b}`} />;
    const scaled = l?.scaledFrom ? ` · run at batch ${l.scaledFrom} and scaled: the time budget` : '';
    return <Metric label={`Latency, batch ${b}`} value={`${l?.scaledFrom ? '≈ ' : ''}${fmtMs(l?.medianMs)}`} sub={`p5–p95 ${fmtMs(l?.p5Ms)}–${fmtMs(l?.p95Ms)} · GPU ${fmtMs(l?.gpuMedianMs)}${scaled}`} testid={`latency-b${b}`} />;
  };
  const runs = b1 ?? own ?? b64;
  // GPU memory at the largest batch run as itself (the figure a deployment sizes for).
  const memory = [...last.latency].reverse().find((l) => l.deviceBytes) ?? null;
  // The layers beside those of the nearest ancestor profiled on the same data and adapter.
  let base: { name: string; layers: LayerProfile } | null = null;
  for (let p = records.find((x) => x.id === r.parentId); p && !base; p = records.find((x) => x.id === p!.parentId)) {
    const layers = latestMeasurement(p, last.key)?.layers;
    if (layers) base = { name: p.name, layers };
  }
  return (
    <div className="card results" data-testid="results">
      <h3>Results <span className="muted">· {r.name} on {last.key.dataset} ({describePreprocess(last.key.preprocess)})</span></h3>
      <div className="metrics">
        <Metric label="Top-1 accuracy" value={fmtPct(last.top1)} sub={`${last.correct} / ${last.key.samples} correct${last.top5 !== null ? ` · top-5 ${fmtPct(last.top5)}` : ''}`} testid="accuracy" />
        {latencyMetric(1, b1)}
        {own && <Metric label={`Latency, batch ${own.batch}`} value={fmtMs(own.medianMs)} sub={`the model's own batch · p95 ${fmtMs(own.p95Ms)}`} testid="latency-own" />}
        {latencyMetric(64, b64)}
        <Metric label="Weights" value={fmtBytes(r.stats.weightBytes)} sub={`${fmtInt(r.stats.params)} parameters · file ${fmtBytes(r.stats.fileBytes)}`} testid="size" />
        {memory?.deviceBytes && (
          <Metric label={`GPU memory, batch ${memory.batch}`} value={fmtBytes(memory.deviceBytes.weights + memory.deviceBytes.activations)}
            sub={`weights ${fmtBytes(memory.deviceBytes.weights)} as the kernels hold them · activations ${fmtBytes(memory.deviceBytes.activations)}, buffers shared by lifetime`} testid="gpu-memory" />
        )}
      </div>
      <p className="muted small">
        Latency: median of {runs ? describeRuns(runs) : '0 runs'} after warm-up{runs?.firstRunMs !== undefined ? ` (the first run, which compiles, took ${fmtMs(runs.firstRunMs)})` : ''}, upload + run + readback, each batch size within a {LATENCY_BUDGET_MS / 1000} s budget; GPU = timestamp queries ({runs?.timing}).
        {/\(software\)$/.test(last.key.adapter) && ' This adapter is a software fallback: its timings say nothing about a real GPU.'}
        {r.measurements.length > 1 && <span data-testid="history-count"> {r.measurements.length} measurements of this variant are kept; the Dashboard shows them all.</span>}
      </p>
      {last.layers && <LayerTimes profile={last.layers} base={base?.layers ?? null} baseName={base?.name ?? null} />}
    </div>
  );
}

function Metric({ label, value, sub, testid }: { label: string; value: string; sub: string; testid: string }) {
  return (
    <div className="metric" data-testid={testid}>
      <div className="label">{label}</div>
      <div className="value">{value}</div>
      <div className="sub">{sub}</div>
    </div>
  );
}
