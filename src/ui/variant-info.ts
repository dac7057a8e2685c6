/** How variants are described and measured in the Variants card and chart. */
import type { Variant } from '../state/store';

/** Layer-weight bytes where the worker reported them, else the whole file's initializers. */
export const weightsOf = (v: Variant) => v.summary.weightBytes ?? v.summary.sizeBytes;

/** 'fp32 original', 'int8 · per-channel · minmax', 'binary · XNOR · first/last fp32', 'mixed · 3 int8 · 1 binary · 1 fp32', … */
export function describe(v: Variant): string {
  if (v.kind === 'original') return 'fp32 original';
  if (v.trained) {
    const t = v.trained;
    const how = t.teacher ? `distilled · T ${t.temperature} · α ${t.alpha}` : 'hard labels';
    const end = t.outcome === 'cancelled' ? ' · cancelled' : t.outcome === 'diverged' ? ' · diverged' : '';
    return `${v.kind === 'student' ? 'student' : `${v.kind} QAT student`} · ${t.student} · ${how} · ${t.epochs} ep × ${t.samples.toLocaleString()}${end}`;
  }
  if (v.kind === 'student') return 'student';
  if (v.pruned) {
    const p = v.pruned;
    const amount = p.granularity === '2:4' ? '2:4'
      : p.granularity === 'block' ? `${p.blocks.filter((b) => b.removed).length} of ${p.blocks.length} blocks removed`
        : `${p.granularity} ${(100 * p.sparsity).toFixed(1)} %`;
    return `pruned · ${amount} · ${p.criterion} · ${p.schedule}${p.finetuneEpochs ? ` · ${p.finetuneEpochs} ep fine-tuned${p.distill ? ' (distilled)' : ''}` : ''}`;
  }
  if (v.kind === 'pruned') return 'pruned';
  if (v.kind === 'binary') {
    const b = v.binary;
    return `binary · XNOR${b ? ` · ${b.keepFirstLast ? 'first/last fp32' : 'all layers'}${b.activationScale ? ' · β' : ''}` : ''}`;
  }
  if (v.kind === 'mixed') {
    const p = Object.values(v.precisions ?? {});
    const n = (k: string) => p.filter((x) => x === k).length;
    const parts = [['int8', n('int8')], ['binary', n('binary')], ['fp32', n('fp32')]].filter(([, c]) => c).map(([k, c]) => `${c} ${k}`);
    return `${v.auto ? `auto ≤ ${(100 * v.auto.budget).toFixed(2)} pts` : 'mixed'} · ${parts.join(' · ')}`;
  }
  const r = v.recipe;
  if (!r) return v.kind;
  const acts = r.activations === 'dynamic' ? 'dynamic' : `${r.calibration === 'percentile' ? `p${r.percentile}` : r.calibration} · ${r.samples} cal`;
  return `int8 · ${r.perChannel ? 'per-channel' : 'per-tensor'} · ${r.symmetricWeights ? 'sym' : 'asym'} · ${acts}`;
}

/**
 * The float variant int8 and binary start from when `name` is current: itself when float (the
 * loaded file, a student), else the nearest float variant it was made from (the worker does the same).
 */
export function floatSourceOf(variants: readonly Variant[], name: string | null): Variant | undefined {
  for (let v = variants.find((x) => x.name === name); v; v = variants.find((x) => x.name === v!.summary.lineage?.parent)) {
    if (v.kind === 'original' || v.kind === 'student' || v.kind === 'pruned') return v;
  }
  return variants.find((x) => x.kind === 'original');
}

/** 'lenet-mnist-int8-pc-minmax.onnx' → 'int8-pc-minmax'; likewise binary-…, mixed-…, auto-…, student-…. */
export function shortLabel(name: string): string {
  const m = name.replace(/\.onnx$/i, '').match(/(int8|binary|mixed|auto|student|pruned)-.*$/);
  const label = m ? m[0] : name;
  // Chained variants have long names, each step appended at the end; the chart's tooltip gives the whole name, the
  // label keeps the end, which tells the steps apart.
  return label.length > 26 ? `…${label.slice(-25)}` : label;
}
