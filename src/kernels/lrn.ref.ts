import { sizeOf } from '../core/shape';
import type { LrnAttrs } from './lrn';

/** ONNX LRN over x (N, C, spatial...): each value divided by its channel window's sum of squares, scaled. */
export function lrnRef(x: Float32Array, shape: readonly number[], a: LrnAttrs): Float32Array {
  const C = shape[1]!, S = sizeOf(shape.slice(2)), N = shape[0]!, y = new Float32Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const lo = Math.max(0, c - Math.floor((a.size - 1) / 2)), hi = Math.min(C - 1, c + Math.ceil((a.size - 1) / 2));
      for (let s = 0; s < S; s++) {
        let sq = 0;
        for (let k = lo; k <= hi; k++) sq += x[(n * C + k) * S + s]! ** 2;
        const i = (n * C + c) * S + s;
        y[i] = x[i]! / (a.bias + (a.alpha / a.size) * sq) ** a.beta;
      }
    }
  }
  return y;
}
