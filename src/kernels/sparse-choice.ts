/**
 * Dense or sparse for a pruned Gemm/MatMul weight, by a rule measured with `npm run bench -- --only
 * sparse` (bench/sparse-page.ts). SwiftShader on a 2-core machine beside a pruning training run
 * (load ~10: noisy), 5 interleaved cycles, GPU-time medians, dense ÷ sparse (> 1: sparse faster):
 *
 *   case (M, N, K)     CSR 50 %  CSR 75 %  CSR 90 %  CSR of 2:4  2:4 kernel
 *   1, 64, 784         2.4–7.4   3.1–10    4.7–26    2.1–8.9     2.8–12.5   (dense matmul_small ~1.3–4.6 ms)
 *   64, 64, 784        0.64–0.81 0.98–1.19 2.8       0.60–0.66   0.89–1.20
 *   1, 1024, 1024      0.95–1.07 1.8       4.0–4.5   0.96–1.02   1.36–1.49
 *   64, 1024, 1024     1.46      2.45      5.9       1.13        1.34       (transposed-x path; 0.85 / 1.7 / 3.6 before it)
 *
 * So on a software adapter: CSR at ≤ 15 % density anywhere; at ≤ 30 % where the layer has few rows
 * (M ≤ 4) or many outputs (N ≥ 256, enough threads); at ≤ 50 % with many rows and outputs. A weight
 * that fits 2:4 and is not sparser than that runs the 2:4 kernel where M ≤ 4 or N ≥ 256. Elsewhere
 * dense (fc1 at batch 64 with 50 % or 2:4 is a wash or slower). On a GPU: dense, always — no GPU
 * was measured, and a one-thread-per-output gather kernel is unlikely to beat a tiled GEMM there
 * until the weight is very sparse.
 */

export type SparseChoice = 'dense' | 'csr' | '2:4';

/** Sparsity (1 − density) below which the engine never considers a sparse kernel. */
export const SPARSE_MIN_SPARSITY = 0.5;

const FEW_ROWS = 4; // = SPARSE_DIRECT_M: the direct path's rows
const MANY_OUTPUTS = 256;

export function sparseGemmChoice(
  adapter: { isFallback: boolean }, M: number, N: number, K: number, density: number, fits24: boolean,
): SparseChoice {
  if (!adapter.isFallback || K < 1 || density > 1 - SPARSE_MIN_SPARSITY) return 'dense';
  const few = M <= FEW_ROWS, wide = N >= MANY_OUTPUTS;
  if (density <= 0.15) return 'csr';
  if (density <= 0.3 && (few || wide)) return 'csr';
  if (fits24 && (few || wide)) return '2:4';
  if (wide && !few) return 'csr';
  return 'dense';
}
