/** Plain, serialisable summaries that cross the worker boundary and live in the store. */
import type { AdapterSummary } from '../gpu/context';
import type { ValueInfo } from '../model/ir';
import type { LayerStat } from '../model/stats';
import type { Batching } from '../model/rebatch';
import type { EpochRecord, StepRecord } from '../train/trainer';
import type { Criterion, DataRole, Granularity, Preprocess, PruneSchedule } from '../recipe/vocabulary';
import type { SensitivityCurve } from '../train/prune-sensitivity';

// The recipe the UI edits and the CLI reads; its defaults (with their reasons) live in compress/.
export { DEFAULT_INT8_RECIPE, type Int8Recipe, type Precision } from '../compress/quantize-plan';
// Type-only: compress/binarize pulls in engine code the page's main thread does not need.
export type { BinaryRecipe } from '../compress/binarize';
export type { PrecisionLayer } from '../compress/mixed-precision';
import type { Int8Recipe } from '../compress/quantize-plan';

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

export interface DeviceSummary extends AdapterSummary {
  pipelineCompiles: number;
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
  /** Which dataset int8 calibrates on (default: the test set's last items). */
  calibrationData?: DataRole;
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

/** Events of a training run: a status change, a reported step, or a finished epoch (with its test accuracy). */
export type TrainProgress =
  | { phase: 'train'; kind: 'status'; status: 'loading' | 'preparing' | 'running' | 'paused'; totalSteps: number }
  | { phase: 'train'; kind: 'step'; record: StepRecord; step: number; totalSteps: number; elapsedMs: number }
  | { phase: 'train'; kind: 'epoch'; record: EpochRecord };

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
  /** Why accuracy was not measured (no test set fits the model), or null. */
  accuracyNote: string | null;
  /** Zeros per layer, counted on the result's weights. */
  layers: { node: string; weights: number; zeros: number }[];
  /** FLOPs of one item without the multiply-adds on zero weights (what the sparse kernels compute). */
  nonzeroFlops: number;
  filters: { producers: string[]; before: number; after: number }[];
  kept: { producers: string[]; channels: number; reason: string }[];
  /** Block pruning: every removable block (its name, layers, score, whether it went). */
  blocks: { join: string; layers: string[]; score: number; removed: boolean }[];
  /** Adds and Concat inputs that are not removable blocks, and why. */
  refusedBlocks: { join: string; reason: string }[];
  /** Layers the masks could not reach, and why. */
  skipped: { node: string; reason: string }[];
  /** Each stage's step and overall sparsity. */
  stages: { at: number; sparsity: number }[];
  /** Each fine-tuning epoch's figures. */
  epochs: EpochRecord[];
  /** Weight bytes dense, and in the studio's sparse form (masked granularities). */
  sparseBytes: { dense: number; sparse: number } | null;
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
