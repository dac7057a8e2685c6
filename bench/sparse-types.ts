/**
 * Shapes shared by the sparse-kernel benchmark's page side (bench/sparse-page.ts) and Node side
 * (bench/sparse-report.ts, bench/main.ts `--only sparse`). Plain data only, plus the case list.
 */
import type { AdapterLog, Stats, Tag } from './types';

/**
 * Interleaved in this order in every cycle. 'dense' is matmul() (its own kernel choice) on the W
 * the sparse forms hold; csr-P is CSR of W with P % of its entries zeroed by magnitude; csr-2:4
 * and 2:4 hold the same 2:4-pruned W (50 %), in CSR and in the 2:4 form.
 */
export const SPARSE_CONTENDERS = ['dense', 'csr-50', 'csr-75', 'csr-90', 'csr-2:4', '2:4'] as const;
export type SparseContender = (typeof SPARSE_CONTENDERS)[number];

export const SPARSE_TITLE: Record<SparseContender, string> = {
  dense: 'dense f32', 'csr-50': 'CSR 50 %', 'csr-75': 'CSR 75 %', 'csr-90': 'CSR 90 %', 'csr-2:4': 'CSR of 2:4', '2:4': '2:4 kernel',
};

/**
 * 'gemm': y (M, N) = x (M, K) · W (N, K)ᵀ (Gemm with transB = 1, as a pruned layer stores it).
 * 'conv': a Conv (NCHW, stride 1, `pad` on every side) with W (N, C, k, k): x is `x`, K = C·k·k and
 * M = batch · output pixels (the GEMM an im2col would run). Conv has no 2:4 kernel: a 2:4 W runs CSR.
 */
export interface SparseCase {
  id: string; shape: string; M: number; N: number; K: number; note?: string;
  conv?: { x: [number, number, number, number]; k: number; pad: number };
}

const gemm = (id: string, M: number, N: number, K: number, note?: string): SparseCase => ({ id, shape: `M ${M}, N ${N}, K ${K}`, M, N, K, note });
const conv = (id: string, x: [number, number, number, number], N: number, k: number, pad: number, note?: string): SparseCase => {
  const out = (x[2] + 2 * pad - k + 1) * (x[3] + 2 * pad - k + 1);
  return { id, shape: `x ${x.join('×')}, W ${N}×${x[1]}×${k}×${k}`, M: x[0] * out, N, K: x[1] * k * k, note, conv: { x, k, pad } };
};

export function sparseCases(): SparseCase[] {
  return [
    gemm('fc1-m1', 1, 64, 784, 'fc1 of the default CNN (fixtures/cnn-studio-mnist.onnx), batch 1'),
    gemm('fc1-m64', 64, 64, 784, 'fc1 of the default CNN, batch 64'),
    gemm('gemm-m1-k1024', 1, 1024, 1024),
    gemm('gemm-m64-k1024', 64, 1024, 1024),
    conv('conv2-b1', [1, 8, 12, 12], 16, 5, 0, 'conv2 of the default CNN, batch 1'),
    conv('conv2-b64', [64, 8, 12, 12], 16, 5, 0, 'conv2 of the default CNN, batch 64'),
    conv('conv3x3-64', [1, 64, 28, 28], 64, 3, 1, 'a ResNet-style 3×3 layer, 64 channels on 28×28, batch 1'),
  ];
}

export interface SparseBenchConfig {
  /** Timed runs per contender per case (= interleaved cycles); null: 5 on SwiftShader, 10 on a GPU. */
  runs: number | null;
  warmup: number;
  /** Case ids to run (all when null). */
  cases: string[] | null;
}

export interface SparseRecord {
  case: string;
  shape: string;
  contender: SparseContender;
  tag: Tag;
  pipelines: string[];
  /** Nonzeros ÷ N K of the W this contender holds (1 for dense on unpruned W). */
  density: number;
  /** Bytes of the weight as this contender stores it (dense: 4 N K). */
  weightBytes: number;
  pipelinesCompiled: number;
  planMs: number | null;
  firstRunMs: number | null;
  /** Max |GPU − CPU reference| on sampled rows, and whether it was within tolerance. */
  maxAbsDiff: number | null;
  tolerance: number;
  e2e: Stats | null;
  gpu: Stats | null;
  runs: number;
  error: string | null;
}

export interface SparsePageResult {
  tag: Tag;
  adapter: AdapterLog;
  hasTimestamps: boolean;
  runs: number;
  warmup: number;
  cases: SparseCase[];
  records: SparseRecord[];
  pageMs: number;
}
