import { busyReason, floatSource, useStudio } from '../state/store';
import { calibrationProblem, choicesOf, needsCalibration, quantize, setBinaryRecipe, setRecipe, setScheme } from '../state/variants';
import { cancelJob } from '../state/link';
import type { Scheme } from '../state/store';
import type { Int8Recipe } from '../worker/types';
import { fmtInt } from './format';

export function QuantizePanel() {
  const recipe = useStudio((s) => s.recipe);
  const scheme = useStudio((s) => s.scheme);
  const binary = useStudio((s) => s.binaryRecipe);
  const qjob = useStudio((s) => (s.job?.kind === 'step' && /^(Quantizing|Binarizing|Mixing)/.test(s.job.label) ? s.job : null));
  const reason = useStudio((s) => busyReason(s));
  const busy = Boolean(reason);
  const hasModel = useStudio((s) => Boolean(s.selectedId && s.webgpu === 'ready'));
  const hasData = useStudio((s) => Boolean(s.datasets.test));
  const calibrates = useStudio((s) => needsCalibration(s));
  const problem = useStudio((s) => calibrationProblem(s));
  const layers = useStudio((s) => s.precisionLayers);
  const source = useStudio((s) => (s.scheme === 'mixed' ? s.records.find((r) => !r.parentId) : floatSource(s, s.selectedId))?.name);
  const counts = countChoices(choicesOf(layers, recipe.layers));
  // Binary needs no data; evaluating the new variant does, and Evaluate says so if it is missing.
  const ready = hasModel && (scheme === 'binary' || hasData);
  const int8Options = scheme === 'int8' || (scheme === 'mixed' && counts.int8 > 0);
  const binaryOptions = scheme === 'binary' || (scheme === 'mixed' && counts.binary > 0);
  return (
    <div className="card" data-testid="quantize-panel">
      <h3>Quantize</h3>
      <p className="muted small hint" data-testid="q-explain">
        int8 stores each weight in 8 bits (4× smaller) and runs integer dot products; expect well under a point of accuracy lost with per-channel weights and a few hundred calibration items.
        Binary keeps one bit a weight (XNOR + popcount, ~30× smaller layers); without training it loses most of the accuracy, so distil into a binary student for a usable one.
      </p>
      <label className="field">Scheme
        <select value={scheme} data-testid="q-scheme" disabled={busy} onChange={(e) => setScheme(e.target.value as Scheme)}>
          <option value="int8">int8 (post-training, QDQ)</option>
          <option value="binary">binary (1-bit XNOR)</option>
          <option value="mixed">mixed (per-layer table)</option>
        </select>
      </label>
      {source && (
        <p className="muted small hint" data-testid="q-source" title="int8 and binary start from the current variant's float model (the loaded file or a trained student); mixed precision from the loaded file">
          From <span className="mono">{source}</span>
        </p>
      )}
      {scheme === 'mixed' && (
        <p className="muted small hint" data-testid="q-mixed-summary">
          Per layer, as the Mixed precision table says: {counts.int8} int8 · {counts.binary} binary · {counts.fp32} fp32.
        </p>
      )}
      {int8Options && <Int8Options recipe={recipe} busy={busy} calibrates={calibrates} problem={problem} />}
      {binaryOptions && (
        <div className="options" data-testid="q-binary-options">
          {scheme === 'binary' && (
            <label className="check">
              <input type="checkbox" checked={binary.keepFirstLast} data-testid="q-keep-first-last" disabled={busy}
                onChange={(e) => setBinaryRecipe({ keepFirstLast: e.target.checked })} />
              Keep first and last layers float32
            </label>
          )}
          <label className="check">
            <input type="checkbox" checked={binary.activationScale} data-testid="q-activation-scale" disabled={busy}
              onChange={(e) => setBinaryRecipe({ activationScale: e.target.checked })} />
            Activation scale β (mean |x|)
          </label>
          <p className="muted small hint" data-testid="q-binary-note">
            {scheme === 'binary' ? 'Needs no calibration data. ' : ''}
            Saved in the studio's own binary ONNX format (<span className="mono">ai.compression-studio</span> ops,
            docs/binary-format.md): onnxruntime cannot run it; drop it back here to re-import it.
            Without training, binary accuracy collapses.
          </p>
        </div>
      )}
      <div className="row">
        <button className="primary" data-testid="quantize" disabled={!ready || busy} title={reason ?? undefined} onClick={() => void quantize()}>
          {scheme === 'binary' ? 'Binarize' : 'Quantize'}
        </button>
        <button data-testid="q-cancel" disabled={!qjob} onClick={cancelJob}>Cancel</button>
      </div>
      {qjob && (
        <div className="progress" data-testid="q-progress">
          <div className="bar"><div style={{ width: `${qjob.total ? Math.round((100 * qjob.done) / qjob.total) : 100}%` }} /></div>
          <span>{qjob.stage === 'calibration' ? `Calibrating: ${qjob.done} / ${qjob.total} samples` : qjob.stage === 'accuracy' ? `Evaluating: ${qjob.done} / ${qjob.total}` : qjob.stage === 'latency' ? 'Evaluating: latency' : `${qjob.stage}…`}</span>
        </div>
      )}
    </div>
  );
}

function countChoices(choices: Record<string, string>) {
  const v = Object.values(choices);
  return { int8: v.filter((p) => p === 'int8').length, binary: v.filter((p) => p === 'binary').length, fp32: v.filter((p) => p === 'fp32').length };
}

function Int8Options({ recipe, busy, calibrates, problem }: { recipe: Int8Recipe; busy: boolean; calibrates: boolean; problem: string | null }) {
  const count = useStudio((s) => s.datasets.test?.count ?? 0);
  const dynamic = recipe.activations === 'dynamic';
  return (
    <div className="options" data-testid="q-int8-options">
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
      <label className="field">Activations
        <select value={recipe.activations} data-testid="q-activations" disabled={busy}
          onChange={(e) => setRecipe({ activations: e.target.value as Int8Recipe['activations'] })}>
          <option value="static">static (calibrated)</option>
          <option value="dynamic">dynamic (per batch)</option>
        </select>
      </label>
      {!dynamic && (
        <>
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
            <input type="number" min={1} max={count || undefined} value={Number.isFinite(recipe.samples) ? recipe.samples : ''} data-testid="q-samples" disabled={busy}
              aria-invalid={Boolean(problem)} onChange={(e) => setRecipe({ samples: e.target.value === '' ? 0 : Number(e.target.value) })} />
          </label>
          {problem && calibrates && <p className="field-error small" data-testid="q-samples-error">{problem}</p>}
        </>
      )}
      <p className="muted small hint">
        {dynamic
          ? 'Each layer measures its input range per batch while it runs: no calibration data is needed.'
          : <>Taken from the last {recipe.samples > 0 ? recipe.samples : 'N'} items of the loaded dataset
            {count && recipe.samples > 0 && recipe.samples <= count ? ` (items ${count - recipe.samples}–${count - 1})` : ''}; Evaluate reads from the first.
            Activations are quantized asymmetric (after ReLU they are all ≥ 0).</>}
      </p>
      {!dynamic && count > 0 && recipe.samples > 0 && recipe.samples <= count && <CalibrationOverlap count={count} samples={recipe.samples} />}
    </div>
  );
}

/** Says plainly whether the calibration items are among those Evaluate scores (then its accuracy is not held out). */
function CalibrationOverlap({ count, samples }: { count: number; samples: number }) {
  const limit = useStudio((s) => s.limit);
  const evaluated = Math.min(count, limit ?? count);
  const overlap = Math.max(0, evaluated - (count - samples));
  return overlap > 0
    ? <p className="field-error small" data-testid="q-overlap" data-overlap={overlap}>
        Overlap: Evaluate reads items 0–{evaluated - 1}, so {fmtInt(overlap)} calibration item{overlap === 1 ? ' is' : 's are'} also scored.
        Set Evaluate's samples to {fmtInt((count - samples))} or fewer to keep them apart.
      </p>
    : <p className="muted small" data-testid="q-overlap" data-overlap={0}>No overlap: Evaluate reads items 0–{evaluated - 1}, calibration the last {fmtInt(samples)}.</p>;
}
