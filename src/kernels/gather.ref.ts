import { sizeOf } from '../core/shape';

/** y (outer, K, inner) = data (outer, len, inner) at the K indices along `axis`; negative indices count from the end. */
export function gatherRef(data: Float32Array, shape: readonly number[], indices: readonly number[], axis: number): Float32Array {
  const len = shape[axis]!, outer = sizeOf(shape.slice(0, axis)), inner = sizeOf(shape.slice(axis + 1));
  const y = new Float32Array(outer * indices.length * inner);
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const i of indices) {
      const j = i < 0 ? i + len : i;
      for (let q = 0; q < inner; q++) y[k++] = data[(o * len + j) * inner + q]!;
    }
  }
  return y;
}
