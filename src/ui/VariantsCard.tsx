import { useStudio, type Variant } from '../state/store';
import { comparable, downloadVariant, selectVariant } from '../state/variants';
import { VariantsChart } from './VariantsChart';
import { STRUCTURAL } from '../compress/prune';
import { fmtBytes, fmtMs, fmtPct } from './format';
import { describe, weightsOf } from './variant-info';

/** The loaded file and its compressed variants side by side: size, accuracy, latency, and downloads. */
export function VariantsCard() {
  const variants = useStudio((s) => s.variants);
  const current = useStudio((s) => s.currentVariant);
  const busy = useStudio((s) => Boolean(s.job || s.quantizeJob || s.searchJob));
  const dynamicBatch = useStudio((s) => s.exportDynamicBatch);
  const original = variants.find((v) => v.kind === 'original');
  if (!original) return null;
  const batching = original.summary.batching;
  const canFree = batching?.mode === 'rebatched';
  return (
    <div className="card" data-testid="variants-card">
      <h3>Variants <span className="muted">· the loaded file and what was made from it</span></h3>
      <table className="layers variants" data-testid="variants-table">
        <thead>
          <tr>
            <th>Variant</th><th className="num">Weights</th><th className="num">Accuracy</th><th className="num">Δ accuracy</th>
            <th className="num">Batch 1</th><th className="num">Batch 64</th><th />
          </tr>
        </thead>
        <tbody>
          {variants.map((v) => (
            <VariantRows key={v.name} v={v} original={original} current={v.name === current} busy={busy} />
          ))}
        </tbody>
      </table>
      {variants.length === 1 && <p className="muted small">Quantize or binarize the model (sidebar), or build a mix below, to add a variant here.</p>}
      {batching && batching.mode !== 'dynamic' && (
        <label className="small" data-testid="export-dynamic-batch" title={canFree ? undefined : `This model ${batching.note}`}>
          <input type="checkbox" checked={dynamicBatch && canFree} disabled={!canFree}
            onChange={(e) => useStudio.setState({ exportDynamicBatch: e.target.checked })} />{' '}
          Downloads get a dynamic batch dim (the file fixes {batching.fileBatch ?? 'its batch'}; {canFree ? 'unchecked, downloads keep the file\'s own input signature' : 'it cannot be re-batched'})
        </label>
      )}
      <VariantsChart />
    </div>
  );
}

const kernels = (v: Variant) => (v.kind === 'binary' ? 'XNOR' : v.kind === 'mixed' ? (v.studioFormat ? 'int8 and XNOR' : 'int8') : v.kind === 'student' ? 'fp32' : v.kind === 'pruned' ? (v.pruned && STRUCTURAL.includes(v.pruned.granularity) ? 'fp32, smaller' : 'fp32, dense zeros') : 'int8');

const median = (v: Variant, batch: number) => v.eval?.latency.find((l) => l.batch === batch)?.medianMs;

function VariantRows({ v, original, current, busy }: { v: Variant; original: Variant; current: boolean; busy: boolean }) {
  const ratio = weightsOf(original) / weightsOf(v);
  const fileRatio = original.summary.sizeBytes / v.summary.sizeBytes;
  const isOriginal = v === original;
  const same = comparable(v.eval, original.eval);
  const delta = !isOriginal && same ? 100 * (v.eval!.accuracy - original.eval!.accuracy) : null;
  const skipped64 = v.eval?.latencySkipped?.find((s) => s.batch === 64);
  const notFaster = !isOriginal && same ? [1, 64].filter((b) => (median(v, b) ?? 0) >= (median(original, b) ?? Infinity)) : [];
  return (
    <>
      <tr data-testid="variant-row" data-variant={v.name} data-kind={v.kind} className={current ? 'current' : ''}>
        <td>
          <div className="mono vname" title={v.name}>{v.name}</div>
          <span className={`op kind-${v.kind}`}>{describe(v)}</span>
          {current && <span className="fused">current</span>}
          {v.summary.lineage?.parent && (
            <div className="muted small" data-testid="v-lineage" title={v.summary.lineage.steps.map((s, i) => `${i + 1}. ${s}`).join('\n')}>
              from <span className="mono">{v.summary.lineage.parent}</span>{v.summary.lineage.steps.length > 1 ? ` · ${v.summary.lineage.steps.length} steps from the file` : ''}
            </div>
          )}
        </td>
        <td className="num" title={`layer weights (with int8 scales and zero points); all initializers incl. biases: ${fmtBytes(v.summary.sizeBytes)}${isOriginal ? '' : `, ${fileRatio.toFixed(2)}× smaller`}`}>
          <div data-testid="v-weights">{fmtBytes(weightsOf(v))}</div>
          <div className="muted small" data-testid="v-ratio" data-ratio={ratio.toFixed(3)}>{isOriginal ? 'baseline' : `${ratio.toFixed(2)}× smaller`}</div>
          <div className="muted small">all {fmtBytes(v.summary.sizeBytes)}</div>
        </td>
        <td className="num" data-testid="v-accuracy" data-accuracy={v.eval ? (100 * v.eval.accuracy).toFixed(4) : ''}>
          <div>{v.eval ? fmtPct(v.eval.accuracy) : '–'}</div>
          {v.eval && <div className="muted small">{v.eval.samples.toLocaleString()} samples</div>}
        </td>
        <td className="num" data-testid="v-delta" title={!isOriginal && v.eval && !same ? 'evaluated on different samples or preprocessing than the original' : undefined}>
          {isOriginal ? <span className="muted">—</span> : delta === null ? <span className="muted">–</span>
            : <span className={delta < -1 ? 'bad' : ''}>{`${delta >= 0 ? '+' : '−'}${Math.abs(delta).toFixed(2)} pts`}</span>}
        </td>
        <td className="num" data-testid="v-b1">{fmtMs(median(v, 1))}</td>
        <td className="num" data-testid="v-b64" title={skipped64 ? `the model ${skipped64.reason}` : undefined}>{skipped64 ? 'n/a' : fmtMs(median(v, 64))}</td>
        <td className="actions">
          <button data-testid="v-select" disabled={current || busy} onClick={() => void selectVariant(v.name)}>{current ? 'Selected' : 'Select'}</button>
          <button data-testid="v-download" data-format={v.studioFormat ? 'studio' : 'onnx'}
            title={v.studioFormat ? `Download ${v.name} in the studio's binary ONNX format: onnxruntime cannot run it; the studio re-imports it` : `Download ${v.name}`}
            onClick={() => void downloadVariant(v.name)}>⤓ .onnx{v.studioFormat ? ' (studio)' : ''}</button>
        </td>
      </tr>
      {notFaster.length > 0 && (
        <tr className="note" data-testid="v-note">
          <td colSpan={7}>
            Not faster than fp32 at batch {notFaster.join(' and ')} on this device
            {v.eval!.isFallback
              ? `: it is a software adapter (the GPU is emulated on the CPU), so ${kernels(v)} kernels save memory here but not time.`
              : `. The weights are ${ratio.toFixed(1)}× smaller; speed depends on the GPU's ${kernels(v)} support and on whether the model is memory- or compute-bound.`}
          </td>
        </tr>
      )}
      {v.studioFormat && (
        <tr className="note format" data-testid="v-format-note">
          <td colSpan={7}>
            Studio binary format (<span className="mono">ai.compression-studio</span> XnorConv/XnorGemm, docs/binary-format.md):
            onnxruntime cannot run the downloaded file; drop it back on the studio to re-import it.
          </td>
        </tr>
      )}
    </>
  );
}
