import { sizeOf, stridesOf } from '../core/shape';
import type { ReduceOp } from './reduce';

/** y over x's kept axes (in order) = op over the `axes` of x (..., any rank). */
export function reduceRef(op: ReduceOp, x: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const red = new Set(axes);
  const st = stridesOf(shape);
  const keptDims = shape.map((_, i) => i).filter((i) => !red.has(i));
  const redDims = shape.map((_, i) => i).filter((i) => red.has(i));
  const y = new Float32Array(sizeOf(keptDims.map((i) => shape[i]!)));
  const n = sizeOf(redDims.map((i) => shape[i]!));
  const offsetOf = (flat: number, dims: number[]) => {
    let off = 0;
    for (let t = dims.length - 1; t >= 0; t--) {
      const d = dims[t]!;
      off += (flat % shape[d]!) * st[d]!;
      flat = Math.floor(flat / shape[d]!);
    }
    return off;
  };
  for (let o = 0; o < y.length; o++) {
    // Matches the kernel on an empty reduction: 0, or 1 for a product.
    if (n === 0) { y[o] = op === 'prod' ? 1 : 0; continue; }
    const base = offsetOf(o, keptDims);
    const vals = Array.from({ length: n }, (_, j) => x[base + offsetOf(j, redDims)]!);
    y[o] = reduceValues(op, vals);
  }
  return y;
}

function reduceValues(op: ReduceOp, v: number[]): number {
  const sum = (f: (a: number) => number) => v.reduce((acc, a) => acc + f(a), 0);
  switch (op) {
    case 'sum': return sum((a) => a);
    case 'mean': return v.length ? sum((a) => a) / v.length : 0;
    case 'max': return v.length ? Math.max(...v) : 0;
    case 'min': return v.length ? Math.min(...v) : 0;
    case 'prod': return v.reduce((acc, a) => acc * a, 1);
    case 'l1': return sum(Math.abs);
    case 'l2': return Math.sqrt(sum((a) => a * a));
    case 'sumSquare': return sum((a) => a * a);
    case 'logSum': return Math.log(sum((a) => a));
    case 'logSumExp': { const m = Math.max(...v); return Math.log(sum((a) => Math.exp(a - m))) + m; }
  }
}
