import { broadcastStrides, sizeOf, stridesOf } from '../core/shape';
import { applyActivation } from './common';
import type { MatmulAttrs } from './matmul';

/**
 * y = act(alpha * op(A) @ op(B) + beta * C) by plain loops, accumulating in f64.
 * a: (...batchA, M, K) or (..., K, M) when transA; b: (...batchB, K, N) or (..., N, K) when
 * transB; c: broadcastable to (M, N) or null; yShape: (...batch, M, N).
 */
export function matmulRef(
  a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[],
  c: Float32Array | null, cShape: readonly number[] | null, attrs: MatmulAttrs, yShape: readonly number[],
): Float32Array {
  const r = yShape.length;
  const M = yShape[r - 2]!, N = yShape[r - 1]!;
  const K = attrs.transA ? aShape[aShape.length - 2]! : aShape[aShape.length - 1]!;
  const batch = yShape.slice(0, -2);
  const aB = broadcastStrides(aShape.slice(0, -2), batch); // in matrices
  const bB = broadcastStrides(bShape.slice(0, -2), batch);
  const [cM, cN] = c && cShape ? broadcastStrides(cShape, [M, N]) : [0, 0];
  const bStr = stridesOf(batch);
  const y = new Float32Array(sizeOf(yShape));
  for (let p = 0; p < sizeOf(batch); p++) {
    let offA = 0, offB = 0;
    for (let d = 0; d < batch.length; d++) {
      const idx = Math.floor(p / bStr[d]!) % batch[d]!;
      offA += idx * aB[d]! * M * K;
      offB += idx * bB[d]! * K * N;
    }
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a[offA + (attrs.transA ? k * M + m : m * K + k)]!; // A (K, M) or (M, K)
          const bv = b[offB + (attrs.transB ? n * K + k : k * N + n)]!; // B (N, K) or (K, N)
          s += av * bv;
        }
        let v = attrs.alpha * s;
        if (c) v += attrs.beta * c[m * cM! + n * cN!]!;
        y[p * M * N + m * N + n] = applyActivation(v, attrs.act);
      }
    }
  }
  return y;
}
