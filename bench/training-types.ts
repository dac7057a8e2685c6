/**
 * Shapes shared by the training benchmark's page side (bench/training-page.ts) and Node side
 * (bench/training-report.ts, bench/main.ts). Plain data only, plus the case list.
 */
import type { AdapterLog, Stats, Tag } from './types';

/** Interleaved in this order in every cycle. */
export const TRAIN_CONTENDERS = ['ours', 'tfjs', 'jax'] as const;
export type TrainContenderName = (typeof TRAIN_CONTENDERS)[number];

export const TRAIN_TITLE: Record<TrainContenderName, string> = {
  ours: 'studio (TrainingPlan)',
  tfjs: 'TF.js webgpu',
  jax: 'jax-js webgpu',
};

export interface TrainCase {
  id: string;
  /** The studio's student spec (src/train/architectures.ts); the other contenders build the same layers. */
  arch: 'mlp:784-32-10' | 'convnet';
  batch: number;
  /** Multiply-adds × 2 of one forward pass over the batch (a training step is about 3×). */
  forwardFlops: number;
}

const MLP_FLOPS = 2 * (784 * 32 + 32 * 10);
// convnet: 5×5×24 'same' conv at 28², 3×3×32 at 14², dense 1568→128→10.
const CONVNET_FLOPS = 2 * (28 * 28 * 24 * 25 + 14 * 14 * 32 * 24 * 9 + 1568 * 128 + 128 * 10);

/** Left out on SwiftShader unless asked for by --training-cases. */
export const SLOW_ON_SWIFTSHADER = ['convnet-b250'];

export function trainCases(): TrainCase[] {
  return [
    { id: 'mlp-b64', arch: 'mlp:784-32-10', batch: 64, forwardFlops: 64 * MLP_FLOPS },
    { id: 'convnet-b64', arch: 'convnet', batch: 64, forwardFlops: 64 * CONVNET_FLOPS },
    { id: 'convnet-b250', arch: 'convnet', batch: 250, forwardFlops: 250 * CONVNET_FLOPS },
  ];
}

/** What main.ts asks the page to measure. */
export interface TrainBenchConfig {
  /** Steps timed per contender per cycle; null: on SwiftShader 3 (MLP) and 1 (ConvNet), on a GPU 20. */
  steps: number | null;
  /** Interleaved cycles (ours, tfjs, jax, ours, …); at least 3. */
  cycles: number;
  /** Untimed steps after the first (which compiles); null: 1 on SwiftShader, 5 on a GPU. */
  warmup: number | null;
  /** Case ids to run; null: all on a GPU, all but convnet-b250 on SwiftShader (TF.js alone takes ~40 s a step there). */
  cases: string[] | null;
  /** Also time a forward pass (upload + run + read logits) at the case's batch, batch-64 cases only. */
  inference: boolean;
  learningRate: number;
}

export interface TrainRecord {
  case: string;
  arch: string;
  batch: number;
  contender: TrainContenderName;
  tag: Tag;
  /** Model build + parameter upload + plan (ours) / variable creation (tfjs) / init (jax). */
  setupMs: number | null;
  /** The first step: pipeline compile / jit tracing + one step, synchronised. */
  firstStepMs: number | null;
  /** Per cycle: wall time of `steps` steps ÷ steps (the last one synchronised by a loss readback). */
  stepMs: Stats | null;
  /** 1000 ÷ median step ms. */
  stepsPerSecond: number | null;
  /** Cross-entropy after the first step and after the last timed step (same fixed batch: it must fall). */
  lossFirst: number | null;
  lossLast: number | null;
  /** Forward pass e2e (upload x, run, read logits), ms per run, one run per cycle; null when not measured. */
  inferMs: Stats | null;
  /** GPU bytes the contender held for this case, where it says (see memoryNote). */
  gpuBytes: number | null;
  memoryNote: string;
  /** What the contender runs on, as it reports it (the assertion that it really is WebGPU). */
  backend: string;
  params: number | null;
  /** Steps per timed cycle in this case. */
  steps: number;
  error: string | null;
}

export interface TrainPageResult {
  tag: Tag;
  adapter: AdapterLog;
  versions: Record<string, string>;
  cycles: number;
  warmup: number;
  /** Cases left out by default on this adapter (listed so the report can say how to add them). */
  skipped: string[];
  learningRate: number;
  cases: TrainCase[];
  records: TrainRecord[];
  pageMs: number;
}
