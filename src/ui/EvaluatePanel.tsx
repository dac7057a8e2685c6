import { busyReason, useStudio } from '../state/store';
import { evaluateVariant, reloadImagesWith, setPreprocess, setLimit, tryPresets } from '../state/actions';
import type { Preprocess } from '../recipe/vocabulary';

export function EvaluatePanel() {
  const pre = useStudio((s) => s.preprocess);
  const limit = useStudio((s) => s.limit);
  const job = useStudio((s) => (s.job?.kind === 'evaluate' ? s.job : null));
  const busy = useStudio((s) => busyReason(s));
  const selected = useStudio((s) => s.selectedId);
  const ready = useStudio((s) => Boolean(s.selectedId && s.datasets.test && s.webgpu === 'ready'));
  const count = useStudio((s) => s.datasets.test?.count ?? 0);
  const spec = useStudio((s) => s.datasets.test?.spec ?? null);
  const trial = useStudio((s) => s.presetTrial);
  const pct = job && job.total ? Math.round((100 * job.done) / job.total) : 0;
  const setKind = (kind: Exclude<Preprocess['kind'], 'channels'>) =>
    setPreprocess(kind === 'normalize' ? { kind, mean: 0.1307, std: 0.3081 } : { kind });
  return (
    <div className="card" data-testid="evaluate-panel">
      <h3>Evaluate</h3>
      <p className="muted small hint">Top-1 (and top-5) accuracy of the selected variant on the first items of the test set, then latency at batch 1 and 64 on this device. Every new variant is evaluated with these settings; results are kept per variant, keyed by data, preprocessing, samples and adapter.</p>
      {pre.kind === 'channels' ? (
        <p className="small" data-testid="channel-preprocess">Preprocessing from the images' spec: (x/255 − [{pre.mean.map((v) => v.toFixed(4)).join(', ')}]) / [{pre.std.map((v) => v.toFixed(4)).join(', ')}] per channel, {pre.layout}.
          {spec && <> <button className="link" data-testid="try-presets" disabled={!selected || Boolean(busy)} onClick={() => selected && void tryPresets(selected)}>Try every preset on 200 items</button></>}
        </p>
      ) : <label className="field">Preprocessing
        <select value={pre.kind} data-testid="preprocess" onChange={(e) => setKind(e.target.value as Exclude<Preprocess['kind'], 'channels'>)} disabled={Boolean(busy)}>
          <option value="raw">Keep 0–255</option>
          <option value="unit">Scale to [0, 1]</option>
          <option value="normalize">Normalise (x/255 − mean) / std</option>
        </select>
      </label>}
      {trial && (
        <table className="small" data-testid="preset-trial">
          <thead><tr><th>Preset</th><th>Accuracy on {trial[0]?.samples ?? 0}</th><th /></tr></thead>
          <tbody>{trial.map((t) => (
            <tr key={t.preset}><td>{t.preset}</td><td>{(100 * t.accuracy).toFixed(1)} %</td>
              <td><button className="link" disabled={Boolean(busy)} onClick={() => void reloadImagesWith({ preset: t.preset })}>Use</button></td></tr>
          ))}</tbody>
        </table>
      )}
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
        <button className="primary" data-testid="evaluate" disabled={!ready || Boolean(busy)} title={busy ?? undefined}
          onClick={() => selected && void evaluateVariant(selected)}>Evaluate</button>
      </div>
      {job && (
        <div className="progress" data-testid="progress">
          <div className="bar"><div style={{ width: `${job.stage === 'latency' ? 100 : pct}%` }} /></div>
          <span>{job.stage === 'latency' ? `Measuring latency (${job.detail ?? 'batch 1, 64'})…` : `${job.done} / ${job.total}`}</span>
        </div>
      )}
    </div>
  );
}
