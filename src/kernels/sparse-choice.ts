/**
 * Dense or sparse for a pruned Gemm/MatMul weight, by a rule measured with `npm run bench -- --only
 * sparse` (bench/sparse-page.ts). SwiftShader on a 2-core machine beside a pruning training run
 * (load 7–10: noisy), GPU-time medians, dense ÷ sparse (> 1: sparse faster); three runs (5, 5 and
 * 10 interleaved cycles), the last two after the transposed-x path for M > 4:
 *
 *   case (M, N, K)     CSR 50 %   CSR 75 %   CSR 90 %  CSR of 2:4  2:4 kernel
 *   1, 64, 784         2.2–7.4    3.1–10     4.7–26    2.1–8.9     2.8–12.5   (dense matmul_small 1.1–4.6 ms)
 *   64, 64, 784        0.81–0.90  0.98–1.51  2.5–2.8   0.60–0.93   1.08–1.20  (0.64 / 1.19 / 2.8 / 0.66 / 0.89 before)
 *   1, 1024, 1024      0.95–1.07  1.8–1.9    4.0–4.5   0.96–1.03   1.36–1.49
 *   64, 1024, 1024     1.12–1.46  2.35–2.45  4.9–5.9   1.13–1.15   1.34–1.47  (0.85 / 1.7 / 3.6 / 0.75 / 0.68 before)
 *
 * So on a software adapter: CSR at ≤ 30 % density (75 % sparse) for any shape measured; between
 * 30 and 50 %, a weight that fits 2:4 runs the 2:4 kernel where the layer has few rows (M ≤ 4) or
 * many outputs (N ≥ 256, enough threads), and CSR only with many rows and outputs; elsewhere dense
 * (fc1 at batch 64 with 50 % or 2:4 is a wash). On a GPU: dense, always: no GPU was measured, and a
 * one-thread-per-output gather kernel is unlikely to beat a tiled GEMM there until W is very sparse.
 */

export type SparseChoice = 'dense' | 'csr' | '2:4';

/**
 * Dense or CSR for a pruned Conv weight (kernels/sparse-conv.ts; no 2:4 Conv kernel), measured the
 * same way (`npm run bench -- --only sparse --sparse-cases conv2-b1,conv2-b64,conv3x3-64`, 10
 * cycles, 2026-12-02, bench/results/2026-12-02-sparse-swiftshader-2.json; the full run after it,
 * -3.json, gave 0.67–0.92 / 1.35–1.61 / 2.75–3.44 / 0.68–0.92; GPU-time medians, dense ÷ sparse):
 *
 *   case                              CSR 50 %   CSR 75 %   CSR 90 %   CSR of 2:4
 *   conv2 of the CNN, 8→16 5×5, b1      0.83       2.20       3.67       1.52
 *   conv2, batch 64                     0.87       1.65       3.52       0.86
 *   64→64 3×3 on 28×28, b1              0.68       1.36       3.20       0.70
 *
 * So CSR from 75 % sparse (density ≤ 0.3) on a software adapter, dense below; on a GPU dense, as
 * for Gemm (not measured there).
 */
export function sparseConvChoice(adapter: { isFallback: boolean }, density: number): 'dense' | 'csr' {
  return adapter.isFallback && density <= 0.3 ? 'csr' : 'dense';
}

/** Sparsity (1 − density) below which the engine never considers a sparse kernel. */
export const SPARSE_MIN_SPARSITY = 0.5;

const FEW_ROWS = 4; // = SPARSE_DIRECT_M: the direct path's rows
const MANY_OUTPUTS = 256;

export function sparseGemmChoice(
  adapter: { isFallback: boolean }, M: number, N: number, K: number, density: number, fits24: boolean,
): SparseChoice {
  if (!adapter.isFallback || K < 1 || density > 1 - SPARSE_MIN_SPARSITY) return 'dense';
  const few = M <= FEW_ROWS, wide = N >= MANY_OUTPUTS;
  if (density <= 0.3) return 'csr';
  if (fits24 && (few || wide)) return '2:4';
  if (wide && !few) return 'csr';
  return 'dense';
}
