import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis, ResponsiveContainer } from 'recharts';
import { useStudio } from '../state/store';
import { fmtBytes, fmtMs, fmtPct } from './format';

export function ResultsCard() {
  const results = useStudio((s) => s.results);
  const last = results.at(-1);
  if (!last) {
    return (
      <div className="card results empty" data-testid="results">
        <h3>Results</h3>
        <p className="muted">Press <b>Evaluate</b> to measure accuracy on the dataset and latency on this device.</p>
      </div>
    );
  }
  const b1 = last.latency.find((l) => l.batch === 1);
  const b64 = last.latency.find((l) => l.batch === 64);
  const points = results.map((r, i) => ({ run: i + 1, accuracy: +(r.accuracy * 100).toFixed(2), latency: +(r.latency[0]?.medianMs ?? 0).toFixed(3), name: r.modelFile }));
  return (
    <div className="card results" data-testid="results">
      <h3>Results <span className="muted">· {last.modelFile} on {last.dataset}</span></h3>
      <div className="metrics">
        <Metric label="Top-1 accuracy" value={fmtPct(last.accuracy)} sub={`${last.correct} / ${last.samples} correct`} testid="accuracy" />
        <Metric label="Latency, batch 1" value={fmtMs(b1?.medianMs)} sub={`p95 ${fmtMs(b1?.p95Ms)} · GPU ${fmtMs(b1?.gpuMedianMs)}`} testid="latency-b1" />
        <Metric label="Latency, batch 64" value={fmtMs(b64?.medianMs)} sub={`p95 ${fmtMs(b64?.p95Ms)} · GPU ${fmtMs(b64?.gpuMedianMs)}`} testid="latency-b64" />
        <Metric label="Weights" value={fmtBytes(last.sizeBytes)} sub={`${last.params.toLocaleString()} parameters`} testid="size" />
      </div>
      <p className="muted small">
        Latency: median of {b1?.runs ?? 0} runs after warm-up, upload + run + readback; GPU = timestamp queries ({b1?.timing}).
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
