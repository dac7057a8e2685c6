/** How variants are described and measured in the Variants card and chart. */
import type { Variant } from '../state/store';

/** Layer-weight bytes where the worker reported them, else the whole file's initializers. */
export const weightsOf = (v: Variant) => v.summary.weightBytes ?? v.summary.sizeBytes;

/** 'fp32 original', 'int8 · per-channel · minmax', 'binary · XNOR · first/last fp32', 'mixed · 3 int8 · 1 binary · 1 fp32', … */
export function describe(v: Variant): string {
  if (v.kind === 'original') return 'fp32 original';
  if (v.kind === 'student') {
    const t = v.trained;
    if (!t) return 'student';
    const how = t.teacher ? `distilled · T ${t.temperature} · α ${t.alpha}` : 'hard labels';
    const end = t.outcome === 'cancelled' ? ' · cancelled' : t.outcome === 'diverged' ? ' · diverged' : '';
    return `student · ${t.student} · ${how} · ${t.epochs} ep × ${t.samples.toLocaleString()}${end}`;
  }
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

/** 'lenet-mnist-int8-pc-minmax.onnx' → 'int8-pc-minmax'; likewise binary-…, mixed-…, auto-…, student-…. */
export function shortLabel(name: string): string {
  const m = name.replace(/\.onnx$/i, '').match(/(int8|binary|mixed|auto|student)-.*$/);
  return m ? m[0] : name;
}
