/** How variants are described and measured in the Variants card and chart. */
import type { Variant } from '../state/store';

/** Layer-weight bytes where the worker reported them, else the whole file's initializers. */
export const weightsOf = (v: Variant) => v.summary.weightBytes ?? v.summary.sizeBytes;

/** 'fp32 original', 'int8 · per-channel · minmax', … */
export function describe(v: Variant): string {
  if (v.kind === 'original') return 'fp32 original';
  const r = v.recipe;
  if (!r) return v.kind;
  const cal = r.calibration === 'percentile' ? `p${r.percentile}` : r.calibration;
  return `int8 · ${r.perChannel ? 'per-channel' : 'per-tensor'} · ${r.symmetricWeights ? 'sym' : 'asym'} · ${cal} · ${r.samples} cal`;
}

/** 'lenet-mnist-int8-pc-minmax.onnx' → 'int8-pc-minmax'. */
export function shortLabel(name: string): string {
  const m = name.replace(/\.onnx$/i, '').match(/int8.*$/);
  return m ? m[0] : name;
}
