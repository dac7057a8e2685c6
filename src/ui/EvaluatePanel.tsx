import { useStudio } from '../state/store';
import { evaluate, cancelEvaluation, setPreprocess, setLimit } from '../state/actions';
import type { Preprocess } from '../data/dataset';

export function EvaluatePanel() {
  const pre = useStudio((s) => s.preprocess);
  const limit = useStudio((s) => s.limit);
  const job = useStudio((s) => s.job);
  const quantizing = useStudio((s) => Boolean(s.quantizeJob || s.searchJob));
  const ready = useStudio((s) => Boolean(s.model && s.dataset && s.webgpu === 'ready'));
  const count = useStudio((s) => s.dataset?.count ?? 0);
  const pct = job && job.total ? Math.round((100 * job.done) / job.total) : 0;
  const setKind = (kind: Preprocess['kind']) =>
    setPreprocess(kind === 'normalize' ? { kind, mean: 0.1307, std: 0.3081 } : { kind });
  return (
    <div className="card" data-testid="evaluate-panel">
      <h3>Evaluate</h3>
      <label className="field">Preprocessing
        <select value={pre.kind} data-testid="preprocess" onChange={(e) => setKind(e.target.value as Preprocess['kind'])} disabled={Boolean(job)}>
          <option value="raw">Keep 0–255</option>
          <option value="unit">Scale to [0, 1]</option>
          <option value="normalize">Normalise (x/255 − mean) / std</option>
        </select>
      </label>
      {pre.kind === 'normalize' && (
        <div className="row">
          <label className="field">Mean<input type="number" step="0.0001" value={pre.mean} data-testid="mean"
            onChange={(e) => setPreprocess({ ...pre, mean: Number(e.target.value) })} /></label>
          <label className="field">Std<input type="number" step="0.0001" min="0.0001" value={pre.std} data-testid="std"
            onChange={(e) => setPreprocess({ ...pre, std: Number(e.target.value) })} /></label>
        </div>
      )}
      <label className="field">Samples
        <input type="number" min={1} max={count || undefined} placeholder={count ? `all ${count}` : 'all'} value={limit ?? ''} data-testid="limit"
          onChange={(e) => setLimit(e.target.value ? Math.max(1, Number(e.target.value)) : null)} />
      </label>
      <div className="row">
        <button className="primary" data-testid="evaluate" disabled={!ready || Boolean(job) || quantizing} onClick={() => void evaluate()}>Evaluate</button>
        <button data-testid="cancel" disabled={!job} onClick={cancelEvaluation}>Cancel</button>
      </div>
      {job && (
        <div className="progress" data-testid="progress">
          <div className="bar"><div style={{ width: `${job.phase === 'latency' ? 100 : pct}%` }} /></div>
          <span>{job.phase === 'latency' ? 'Measuring latency (batch 1, 64)…' : `${job.done} / ${job.total} · running accuracy ${job.done ? ((100 * job.correct) / job.done).toFixed(1) : '–'} %`}</span>
        </div>
      )}
    </div>
  );
}
