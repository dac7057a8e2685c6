/**
 * Shapes shared by the kernel benchmark's page side (bench/kernels-page.ts) and Node side
 * (bench/kernels-report.ts, bench/main.ts). Plain data only, plus the case list.
 */
import type { AdapterLog, Stats, Tag } from './types';

/** Interleaved in this order in every cycle. */
/** int8 with each dot4, XNOR in each form of its kernels (XnorOptions.gemm): what the per-adapter choices are set from. */
export const KERNEL_CONTENDERS = ['f32', 'int8-dot4', 'int8-unpacked', 'xnor', 'xnor-reg'] as const;
export type KernelContender = (typeof KERNEL_CONTENDERS)[number];

export const CONTENDER_TITLE: Record<KernelContender, string> = {
  f32: 'f32',
  'int8-dot4': 'int8 dot4I8Packed',
  'int8-unpacked': 'int8 unpacked',
  xnor: 'XNOR (tiled)',
  'xnor-reg': 'XNOR (register tiles)',
};

/** y (M, N) = x (M, K) · W (N, K)ᵀ: every contender holds W as (N, K) rows (Gemm with transB = 1). */
export interface GemmSpec { kind: 'gemm'; M: number; N: number; K: number }
/**
 * NCHW, stride 1: x (batch, C, H, W) → y (batch, M, OH, OW) with a k×k kernel; 'same' padding
 * ((k − 1)/2 each side) unless `pad` says otherwise; batch 1 unless `batch` says otherwise.
 */
export interface ConvSpec { kind: 'conv'; C: number; H: number; W: number; M: number; k: number; group: number; batch?: number; pad?: number }

export interface KernelCase {
  id: string;
  /** e.g. "256×256×256" or "28²×32 → 32, 3×3". */
  shape: string;
  spec: GemmSpec | ConvSpec;
  /** 2 × multiply-adds of the f32 computation (the same work for every contender). */
  flops: number;
  note?: string;
}

const gemm = (id: string, M: number, N: number, K: number, note?: string): KernelCase =>
  ({ id, shape: `M ${M}, N ${N}, K ${K}`, spec: { kind: 'gemm', M, N, K }, flops: 2 * M * N * K, note });
const conv = (id: string, C: number, H: number, M: number, k: number, group: number, note?: string, opt: { batch?: number; pad?: number } = {}): KernelCase => {
  const batch = opt.batch ?? 1, pad = opt.pad ?? (k - 1) >> 1;
  const O = H + 2 * pad - k + 1;
  return {
    id,
    shape: `${batch === 1 ? '' : `${batch}×`}${H}²×${C} → ${M}, ${k}×${k}${group === 1 ? '' : group === C ? ' depthwise' : `, group ${group}`}${pad === (k - 1) >> 1 ? '' : `, pad ${pad}`}`,
    spec: { kind: 'conv', C, H, W: H, M, k, group, ...opt },
    flops: 2 * batch * O * O * M * (C / group) * k * k,
    note,
  };
};

const K784 = 'K = 784 (MNIST) is listed by BENCHMARKS.md but is not a multiple of 128 (6·128 + 16): int8 packs it evenly (196 words), XNOR masks a half word (24.5 of 25)';

/** The cases of BENCHMARKS.md; 1024³ only with `large` (about 2 GFLOP a run: minutes on SwiftShader). */
export function kernelCases(large: boolean): KernelCase[] {
  return [
    gemm('gemm-256', 256, 256, 256),
    gemm('gemm-512', 512, 512, 512),
    ...(large ? [gemm('gemm-1024', 1024, 1024, 1024)] : []),
    gemm('gemm-m1-k784', 1, 784, 784, K784),
    gemm('gemm-m1-k1024', 1, 1024, 1024),
    gemm('gemm-m64-k784', 64, 784, 784, K784),
    gemm('gemm-m8-k1024', 8, 1024, 1024, 'M = 8 and 16 bracket int8Matmul\'s small-M threshold (INT8_SMALL_M)'),
    gemm('gemm-m16-k1024', 16, 1024, 1024),
    gemm('gemm-m64-k1024', 64, 1024, 1024),
    conv('conv3x3-28x32', 32, 28, 32, 3, 1),
    conv('conv3x3-14x64', 64, 14, 64, 3, 1),
    conv('conv3x3-7x128', 128, 7, 128, 3, 1),
    conv('dwconv3x3-14x64', 64, 14, 64, 3, 64, 'depthwise: K = 9 per output (XNOR uses 9 bits of one word, int8 3 words with 3 padding bytes)'),
    conv('dwconv3x3-56x144', 144, 56, 144, 3, 144, 'mobilenet_v2 features.3\'s depthwise layer at 224²'),
    conv('pwconv1x1-14x64', 64, 14, 64, 1, 1),
    conv('lenet-conv1-b64', 1, 28, 6, 5, 1, 'LeNet conv1 at batch 64, no padding (28² → 24²)', { batch: 64, pad: 0 }),
    conv('lenet-conv2-b64', 6, 12, 16, 5, 1, 'LeNet conv2 at batch 64, no padding (12² → 8²)', { batch: 64, pad: 0 }),
    conv('conv3x3-16x64', 64, 16, 64, 3, 1),
  ];
}

/** What main.ts asks the page to measure. */
export interface KernelBenchConfig {
  /** Timed runs per contender per case (= interleaved cycles); null: 5 on SwiftShader, 10 on a GPU. */
  runs: number | null;
  /** Untimed runs per contender after the validation run. */
  warmup: number;
  large: boolean;
  /** Case ids to run (all when null). */
  cases: string[] | null;
}

export interface KernelValidation {
  /** Max |GPU − CPU reference| over the checked outputs (Infinity where the GPU gave NaN/Inf). */
  maxAbsDiff: number;
  tolerance: number;
  /** Outputs compared: whole output for convs and M = 1, sampled rows (all N columns) for larger GEMMs. */
  checked: string;
  ok: boolean;
}

/** One contender × case. */
export interface KernelRecord {
  case: string;
  shape: string;
  contender: KernelContender;
  tag: Tag;
  /** The pipelines its dispatches use (kernel|constants), in dispatch order. */
  pipelines: string[];
  flops: number;
  /** Pipelines compiled for this contender in this case (0 once cached by an earlier case). */
  pipelinesCompiled: number;
  /** Planning the dispatches (pipeline creation) until the queue is idle: the compile time when pipelinesCompiled > 0. */
  planMs: number | null;
  /** The validation run: upload + dispatch + readback, the first run on these pipelines. */
  firstRunMs: number | null;
  validation: KernelValidation | null;
  /** Wall clock of upload x + dispatches + readback y (weights resident, as in inference). */
  e2e: Stats | null;
  /** Timestamp queries around the compute pass, in the same runs as e2e (resolved in the same command buffer, read after e2e's clock stops). */
  gpu: Stats | null;
  gpuNote: string;
  /** Timed runs (= interleaved cycles). */
  runs: number;
  /** Max |timed-run output − validated output| over all e2e runs; 0 for deterministic kernels. */
  maxDriftVsValidated: number | null;
  error: string | null;
}

export interface KernelPageResult {
  tag: Tag;
  adapter: AdapterLog;
  hasDot4I8: boolean;
  hasTimestamps: boolean;
  runs: number;
  warmup: number;
  cases: KernelCase[];
  records: KernelRecord[];
  pageMs: number;
}
