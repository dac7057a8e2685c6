import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ResponsiveContainer } from 'recharts';
import { useStudio } from '../state/store';
import { fmtBytes, fmtMs, fmtPct } from './format';

export function ResultsCard() {
  const results = useStudio((s) => s.results);
  const variants = useStudio((s) => s.variants);
  // The card shows the loaded model's last result; runs of a model loaded before stay in the history chart only.
  const last = results.findLast((r) => variants.some((v) => v.name === r.modelFile));
  if (!last) {
    const earlier = results.at(-1);
    return (
      <div className="card results empty" data-testid="results">
        <h3>Results</h3>
        <p className="muted">Press <b>Evaluate</b> to measure accuracy on the dataset and latency on this device.</p>
        {earlier && <p className="muted small" data-testid="results-earlier">Earlier results were for {earlier.modelFile}, loaded before this model; they are kept in the history.</p>}
      </div>
    );
  }
  const b1 = last.latency.find((l) => l.batch === 1);
  const b64 = last.latency.find((l) => l.batch === 64);
  const own = last.latency.find((l) => l.batch !== 1 && l.batch !== 64);
  const skipped = (b: number) => last.latencySkipped?.find((s) => s.batch === b);
  const latencyMetric = (b: number, l: typeof b1) => {
    const s = skipped(b);
    if (s) return <Metric label={`Latency, batch ${b}`} value="n/a" sub={`the model ${s.reason}`} testid={`latency-b${b}`} />;
    return <Metric label={`Latency, batch ${b}`} value={fmtMs(l?.medianMs)} sub={`p95 ${fmtMs(l?.p95Ms)} · GPU ${fmtMs(l?.gpuMedianMs)}`} testid={`latency-b${b}`} />;
  };
  const runs = (b1 ?? own ?? b64);
  const points = results.map((r, i) => ({ run: i + 1, accuracy: +(r.accuracy * 100).toFixed(2), latency: +(r.latency[0]?.medianMs ?? 0).toFixed(3), name: r.modelFile }));
  return (
    <div className="card results" data-testid="results">
      <h3>Results <span className="muted">· {last.modelFile} on {last.dataset}</span></h3>
      <div className="metrics">
        <Metric label="Top-1 accuracy" value={fmtPct(last.accuracy)} sub={`${last.correct} / ${last.samples} correct`} testid="accuracy" />
        {latencyMetric(1, b1)}
        {own && <Metric label={`Latency, batch ${own.batch}`} value={fmtMs(own.medianMs)} sub={`the model's own batch · p95 ${fmtMs(own.p95Ms)}`} testid="latency-own" />}
        {latencyMetric(64, b64)}
        <Metric label="Weights" value={fmtBytes(last.sizeBytes)} sub={`${last.params.toLocaleString()} parameters`} testid="size" />
      </div>
      <p className="muted small">
        Latency: median of {runs?.runs ?? 0} runs after warm-up{runs && runs.runs < runs.requestedRuns ? ` (of ${runs.requestedRuns} asked: the ${((runs.budgetMs ?? 0) / 1000).toFixed(0)} s time budget was reached)` : ''}, upload + run + readback; GPU = timestamp queries ({runs?.timing}).
        {last.isFallback && ' This adapter is a software fallback: its timings say nothing about a real GPU.'}
      </p>
      {results.length > 1 && (
        <div className="chart" data-testid="history-chart">
          <ResponsiveContainer width="100%" height={180}>
            <ScatterChart margin={{ top: 8, right: 16, bottom: 16, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="latency" name="latency b1" unit=" ms" type="number" />
              <YAxis dataKey="accuracy" name="accuracy" unit=" %" type="number" allowDecimals={false}
                domain={[(lo: number) => Math.max(0, Math.floor(lo - 1)), (hi: number) => Math.min(100, Math.ceil(hi + 0.5))]} />
              <Tooltip cursor={{ strokeDasharray: '3 3' }} />
              <Scatter data={points} fill="#4f46e5" isAnimationActive={false} />
            </ScatterChart>
          </ResponsiveContainer>
        </div>
      )}
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
