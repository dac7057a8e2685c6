import { useStudio } from '../state/store';
import { quantize, cancelQuantize, setRecipe } from '../state/variants';
import type { Int8Recipe } from '../worker/types';

export function QuantizePanel() {
  const recipe = useStudio((s) => s.recipe);
  const qjob = useStudio((s) => s.quantizeJob);
  const evalJob = useStudio((s) => s.job);
  const ready = useStudio((s) => Boolean(s.model && s.dataset && s.webgpu === 'ready'));
  const count = useStudio((s) => s.dataset?.count ?? 0);
  const busy = Boolean(qjob || evalJob);
  return (
    <div className="card" data-testid="quantize-panel">
      <h3>Quantize</h3>
      <label className="field">Scheme
        <select defaultValue="int8" data-testid="q-scheme" disabled={busy}>
          <option value="int8">int8 (post-training, QDQ)</option>
          <option value="binary" disabled>binary (1-bit) · coming next</option>
        </select>
      </label>
      <div className="row">
        <label className="field">Weight scales
          <select value={recipe.perChannel ? 'channel' : 'tensor'} data-testid="q-granularity" disabled={busy}
            onChange={(e) => setRecipe({ perChannel: e.target.value === 'channel' })}>
            <option value="channel">per channel</option>
            <option value="tensor">per tensor</option>
          </select>
        </label>
        <label className="field">Weight range
          <select value={recipe.symmetricWeights ? 'sym' : 'asym'} data-testid="q-symmetry" disabled={busy}
            onChange={(e) => setRecipe({ symmetricWeights: e.target.value === 'sym' })}>
            <option value="sym">symmetric</option>
            <option value="asym">asymmetric</option>
          </select>
        </label>
      </div>
      <div className="row">
        <label className="field">Calibration
          <select value={recipe.calibration} data-testid="q-calibration" disabled={busy}
            onChange={(e) => setRecipe({ calibration: e.target.value as Int8Recipe['calibration'] })}>
            <option value="minmax">min / max</option>
            <option value="percentile">percentile</option>
            <option value="mse">MSE</option>
          </select>
        </label>
        {recipe.calibration === 'percentile' && (
          <label className="field">Percentile
            <input type="number" step="0.01" min={50} max={100} value={recipe.percentile} data-testid="q-percentile" disabled={busy}
              onChange={(e) => setRecipe({ percentile: Number(e.target.value) })} />
          </label>
        )}
      </div>
      <label className="field">Calibration samples
        <input type="number" min={0} max={count || undefined} value={Number.isFinite(recipe.samples) ? recipe.samples : ''} data-testid="q-samples" disabled={busy}
          onChange={(e) => setRecipe({ samples: e.target.value === '' ? 0 : Number(e.target.value) })} />
      </label>
      <p className="muted small hint">
        Taken from the last {recipe.samples > 0 ? recipe.samples : 'N'} items of the loaded dataset
        {count ? ` (items ${Math.max(0, count - recipe.samples)}–${count - 1})` : ''}; Evaluate reads from the first.
        Activations are quantized asymmetric (after ReLU they are all ≥ 0).
      </p>
      <div className="row">
        <button className="primary" data-testid="quantize" disabled={!ready || busy} onClick={() => void quantize()}>Quantize</button>
        <button data-testid="q-cancel" disabled={!qjob} onClick={cancelQuantize}>Cancel</button>
      </div>
      {qjob && <QuantizeProgress />}
    </div>
  );
}

function QuantizeProgress() {
  const qjob = useStudio((s) => s.quantizeJob)!;
  const evalJob = useStudio((s) => s.job);
  const variant = useStudio((s) => s.currentVariant);
  const calibrating = qjob.stage === 'calibrating';
  const done = calibrating ? qjob.done : evalJob?.phase === 'latency' ? 1 : evalJob?.done ?? 0;
  const total = calibrating ? qjob.total : evalJob?.phase === 'latency' ? 1 : evalJob?.total ?? 0;
  const pct = total ? Math.round((100 * done) / total) : 0;
  const text = calibrating
    ? `Calibrating: ${qjob.done} / ${qjob.total} samples`
    : `Evaluating ${variant ?? ''}${evalJob?.phase === 'latency' ? ': latency' : evalJob ? `: ${evalJob.done} / ${evalJob.total}` : '…'}`;
  return (
    <div className="progress" data-testid="q-progress">
      <div className="bar"><div style={{ width: `${pct}%` }} /></div>
      <span>{text}</span>
    </div>
  );
}
