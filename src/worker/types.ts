/** Plain, serialisable summaries that cross the worker boundary and live in the store. */
import type { AdapterSummary } from '../gpu/context';
import type { ValueInfo } from '../model/ir';
import type { LayerStat } from '../model/stats';
import type { LatencySkipped, LatencyStats } from '../engine/evaluate';
import type { Batching } from '../model/rebatch';
import type { Preprocess } from '../data/dataset';
import type { EpochRecord, StepRecord } from '../train/trainer';
import type { Criterion, Granularity } from '../compress/prune';
import type { PruneSchedule } from '../train/prune-job';
import type { SensitivityCurve } from '../train/prune-sensitivity';

// The recipe the UI edits and the CLI reads; its defaults (with their reasons) live in compress/.
export { DEFAULT_INT8_RECIPE, type Int8Recipe, type Precision } from '../compress/quantize-plan';
// Type-only: compress/binarize pulls in engine code the page's main thread does not need.
export type { BinaryRecipe } from '../compress/binarize';
export type { PrecisionLayer } from '../compress/mixed-precision';
import type { Int8Recipe, Precision } from '../compress/quantize-plan';

/** A layer row: the model's stats plus how the engine runs it. */
export interface LayerRow extends LayerStat {
  /** Output shape with the batch dim shown as the model names it ('N') where it is symbolic. */
  shape: (number | string)[];
  /** The layer whose kernel also computes this one (BN folded into Conv, activation fused), if any. */
  fusedInto: string | null;
}

export interface ModelSummary {
  fileName: string;
  producer: string;
  opset: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  layers: LayerRow[];
  /** Stored bytes of all initializers (weights, biases, scales), and the same by dtype. */
  sizeBytes: number;
  /**
   * Stored bytes of the Conv/Gemm/MatMul weight tensors only (int8 ones with their scales and zero
   * points; biases not counted), the figure compression ratios are quoted on. Added by the worker.
   */
  weightBytes?: number;
  bytesByDtype: Record<string, number>;
  params: number;
  /** FLOPs for one sample. */
  flops: number;
  /** Kernel launches per run after fusion (view ops such as Reshape cost none). */
  dispatches: number;
  /** How the studio feeds the model: its own batch, or re-batched (null only before the runtime decided). */
  batching: Batching | null;
  /** For a variant: what it was made from and the steps from the loaded file (worker/variant-store.ts). */
  lineage?: VariantLineage;
}

export interface VariantLineage {
  /** The variant it was made from (null for the loaded file). */
  parent: string | null;
  /** The steps that made it from the loaded file, oldest first. */
  steps: string[];
}

export interface DatasetSummary {
  name: string;
  count: number;
  itemShape: number[];
  classes: number;
  /** Label histogram, for a sanity glance. */
  labelCounts: number[];
}

export interface EvalOptions {
  preprocess: Preprocess;
  /** Evaluate the first `limit` samples (all when absent). */
  limit?: number;
  batchSize: number;
  latencyRuns: number;
  /** Per batch size, stop measuring latency after this many ms (default DEFAULT_LATENCY_BUDGET_MS). */
  latencyBudgetMs?: number;
}

export interface EvalResult {
  modelFile: string;
  dataset: string;
  accuracy: number;
  correct: number;
  samples: number;
  preprocess: Preprocess;
  evalMs: number;
  latency: LatencyStats[];
  /** How the model was fed (re-batched, or at the file's own batch and why); null before the runtime decided. */
  batching: string | null;
  /** Batch sizes not measured (1 or 64 on a model that fixes another batch), with why. */
  latencySkipped: LatencySkipped[];
  sizeBytes: number;
  params: number;
  device: string;
  isFallback: boolean;
  finishedAt: number;
}

export interface DeviceSummary extends AdapterSummary {
  pipelineCompiles: number;
}

/** What quantizing made: the new variant's summary, the layers now int8, and those left float. */
export interface QuantizeResult extends ModelSummary {
  quantized: string[];
  skipped: { node: string; reason: string }[];
}

/** What binarizing made: the new variant's summary, the layers now binary, and those kept float with why. */
export interface BinarizeResult extends ModelSummary {
  binarized: string[];
  kept: { node: string; reason: string }[];
}

/** A variant built from per-layer choices: every Conv/Gemm layer's precision as applied. */
export interface MixedResult extends ModelSummary {
  precisions: Record<string, Precision>;
  /** True when a binary layer makes the file the studio's own format (docs/binary-format.md). */
  studioFormat: boolean;
}

/** Accuracy with one layer alone compressed, and the drop from the float model (fractions, not points). */
export interface LayerScore { accuracy: number; drop: number }

export interface SensitivityRow {
  layer: string;
  opType: string;
  params: number;
  /** null where that precision cannot apply to the layer (its reason in *Refused) or was not measured. */
  int8: LayerScore | null;
  binary: LayerScore | null;
  int8Refused: string | null;
  binaryRefused: string | null;
}

export interface SensitivityOptions {
  /** The int8 recipe whose calibration every int8 candidate shares. */
  recipe: Int8Recipe;
  preprocess: Preprocess;
  /** Evaluation samples, from the start of the dataset. */
  samples: number;
  /** Also measure each layer alone binarized (no calibration; one more evaluation per layer). */
  binary: boolean;
  activationScale: boolean;
}

export interface SensitivityResult {
  baseline: number;
  samples: number;
  /** Calibration items (the dataset's last ones); 0 when only binary was measured. */
  calibrationSamples: number;
  binary: boolean;
  rows: SensitivityRow[];
  /** The loaded file it was measured on. */
  model: string;
}

export interface AutoOptions extends SensitivityOptions {
  /** Largest accuracy drop allowed, as a fraction (0.005 = 0.5 points). */
  budget: number;
}

/** The variant the budgeted search picked, and what it measured on the evaluation samples. */
export interface AutoResult extends MixedResult {
  baseline: number;
  accuracy: number;
  drop: number;
  budget: number;
  samples: number;
  sensitivity: SensitivityResult;
}

/** One layer's weights binned over shared edges, one series per model (the loaded file, the current variant). */
export interface WeightHistogram {
  edges: number[];
  series: { name: string; counts: number[] }[];
}

/** Progress of an evaluation (accuracy pass, then latency) or of an int8 calibration pass. */
export interface EvalProgress { phase: 'accuracy' | 'latency'; done: number; total: number; correct: number }
export interface CalibrationProgress { phase: 'calibration'; done: number; total: number }
/** Progress of a sensitivity analysis or an automatic search: calibration, float baseline, candidates. */
export interface SearchProgress {
  phase: 'search';
  stage: 'calibration' | 'baseline' | 'int8' | 'binary' | 'choose';
  done: number;
  total: number;
  /** The layer (or candidate) being evaluated. */
  label?: string;
}

/** Where the training items come from: the bundled MNIST training set, or the dataset loaded for evaluation. */
export type TrainData = 'mnist-train' | 'loaded';

/** What the Train & distil card asks the worker for (numbers already checked by the page). */
export interface TrainOptions {
  /** The student: a built-in spec (mlp:784-32-10), width:0.5, binary, int8, or a variant's name (train/students.ts). */
  student: string;
  /** The variant to distil from; null trains on hard labels only. */
  teacher: string | null;
  data: TrainData;
  epochs: number;
  batch: number;
  lr: number;
  optimizer: 'adamw' | 'sgd';
  /** 'constant', 'cosine' or 'step:EVERY:GAMMA', optionally '+warmup:N' (train/schedule.ts). */
  schedule: string;
  seed: number;
  trainSamples: number;
  /** Items of the loaded (test) dataset scored after each epoch. */
  testSamples: number;
  temperature: number;
  alpha: number;
  preprocess: Preprocess;
}

/** How a student variant was made, shown in the Variants table and the card. */
export interface TrainedInfo {
  student: string;
  teacher: string | null;
  temperature: number;
  alpha: number;
  epochs: number;
  samples: number;
  outcome: 'finished' | 'cancelled' | 'diverged';
  /** Test accuracy after the last finished epoch (on the card's test samples), if any epoch finished. */
  testAccuracy: number | null;
}

/** Events of a training run: a status change, a reported step, or a finished epoch (with its test accuracy). */
export type TrainProgress =
  | { phase: 'train'; kind: 'status'; status: 'loading' | 'preparing' | 'running' | 'paused'; totalSteps: number }
  | { phase: 'train'; kind: 'step'; record: StepRecord; step: number; totalSteps: number; elapsedMs: number }
  | { phase: 'train'; kind: 'epoch'; record: EpochRecord };

/** The student as a new variant (selected), with how training went. */
export interface TrainJobResult extends ModelSummary {
  trained: TrainedInfo;
  /** A binary QAT student is written in the studio's own binary format. */
  studioFormat: boolean;
  /** 'student' for a float student; 'int8' / 'binary' for one trained quantisation-aware. */
  madeBy: 'student' | 'int8' | 'binary';
  message: string | null;
  stepsDone: number;
  totalSteps: number;
  parameters: number;
  seconds: number;
}

/** What the Prune card asks the worker for (numbers already checked by the page). */
export interface PruneOptions {
  granularity: Granularity;
  criterion: Criterion;
  sparsity: number;
  /** Per-layer sparsities (from the sensitivity chart, or typed), overriding `sparsity`. */
  layers?: Record<string, number>;
  scope: 'layer' | 'global';
  schedule: PruneSchedule;
  /** 0: prune only (no data needed unless the criterion is Taylor). */
  finetuneEpochs: number;
  /** Fine-tune on the unpruned variant's softened outputs (T 4, α 0.9). */
  distill: boolean;
  data: TrainData;
  trainSamples: number;
  testSamples: number;
  batch: number;
  lr: number;
  seed: number;
  preprocess: Preprocess;
}

/** A layer the Prune card can show and tune. */
export interface PruneLayer {
  node: string;
  opType: string;
  weights: number;
  /** FLOPs of one item. */
  flops: number;
  /** Filter pruning: the output channels of its group, and why the group must stay whole (null: it can shrink). */
  channels: number | null;
  pinned: string | null;
  /** Block pruning: the removable block that holds this layer (its Add, or Concat:input; null: in none). */
  block: string | null;
}

/** One layer's weights as a picture: |w| / max|w| and kept (0: pruned), row-major, rows × cols. */
export interface SparsityPicture {
  layer: string;
  rows: number;
  cols: number;
  magnitude: Float32Array;
  kept: Uint8Array;
  zeros: number;
  layout: string;
}

/** How a pruned variant was made and what it changed. */
export interface PrunedInfo {
  granularity: Granularity;
  criterion: Criterion;
  sparsity: number;
  schedule: PruneSchedule;
  finetuneEpochs: number;
  distill: boolean;
  before: { params: number; bytes: number; flops: number };
  after: { params: number; bytes: number; flops: number };
  accuracy: { before: number | null; after: number | null };
  /** Zeros per layer, counted on the result's weights. */
  layers: { node: string; weights: number; zeros: number }[];
  /** FLOPs of one item without the multiply-adds on zero weights (what the sparse kernels compute). */
  nonzeroFlops: number;
  filters: { producers: string[]; before: number; after: number }[];
  kept: { producers: string[]; channels: number; reason: string }[];
  /** Block pruning: every removable block (its name, layers, score, whether it went). */
  blocks: { join: string; layers: string[]; score: number; removed: boolean }[];
  /** Weight bytes dense, and in the studio's sparse form (masked granularities). */
  sparseBytes: { dense: number; sparse: number } | null;
}

export interface PruneJobResult extends ModelSummary {
  pruned: PrunedInfo;
  seconds: number;
}

export interface PruneSensitivityOptions {
  granularity: Granularity;
  criterion: Criterion;
  levels: number[];
  samples: number;
  preprocess: Preprocess;
}

export interface PruneSensitivityResult {
  variant: string;
  granularity: Granularity;
  criterion: Criterion;
  samples: number;
  baseline: number;
  curves: SensitivityCurve[];
}

/** Fine-tuning steps and epochs (as training reports them), or a sensitivity point. */
export type PruneProgress = TrainProgress | { phase: 'sensitivity'; layer: string; sparsity: number; accuracy: number; done: number; total: number };
