import { broadcastStrides } from '../core/shape';
import { applyActivation } from './common';
import type { SparseMatmulAttrs } from './sparse-matmul';
import type { SparseMatrix } from './sparse-pack';

/**
 * y (M, N) = act(alpha · x (M, K) · Wᵀ + beta · C) by plain loops over the packed form's stored
 * entries (not the dense W), accumulating in f64. c: broadcastable to (M, N) or null.
 */
export function sparseMatmulRef(
  x: Float32Array, M: number, w: SparseMatrix, c: Float32Array | null, cShape: readonly number[] | null, attrs: SparseMatmulAttrs,
): Float32Array {
  const { N, K } = w;
  const [cM, cN] = c && cShape ? broadcastStrides(cShape, [M, N]) : [0, 0];
  // Each output's stored (column, value) pairs, decoded once.
  const entries: [number, number][][] = [];
  for (let n = 0; n < N; n++) {
    const e: [number, number][] = [];
    if (w.kind === 'csr') {
      for (let j = w.rowPtr[n]!; j < w.rowPtr[n + 1]!; j++) e.push([(w.cols[j >> 1]! >>> ((j & 1) * 16)) & 0xffff, w.values[j]!]);
    } else {
      const PW = Math.ceil(w.G / 8);
      for (let g = 0; g < w.G; g++) {
        const nib = (w.pos[n * PW + (g >> 3)]! >>> ((g & 7) * 4)) & 15;
        e.push([4 * g + (nib & 3), w.values[(n * w.G + g) * 2]!], [4 * g + (nib >> 2), w.values[(n * w.G + g) * 2 + 1]!]);
      }
    }
    entries.push(e);
  }
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (const [k, v] of entries[n]!) s += v * x[m * K + k]!;
      let v = attrs.alpha * s;
      if (c) v += attrs.beta * c[m * cM! + n * cN!]!;
      y[m * N + n] = applyActivation(v, attrs.act);
    }
  }
  return y;
}
