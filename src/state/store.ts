/**
 * The studio's one store, in slices per concern (device, model, dataset, job, results, variants,
 * quantize job, weight histogram, notices).
 * It holds plain serialisable summaries only; the GPU lives in the worker behind `client`.
 */
import { create } from 'zustand';
import {
  DEFAULT_INT8_RECIPE, type DatasetSummary, type DeviceSummary, type EvalResult, type Int8Recipe, type ModelSummary, type Precision,
  type PrecisionLayer, type SensitivityResult, type TrainedInfo, type PrunedInfo, type WeightHistogram,
} from '../worker/types';
import type { Preprocess } from '../data/dataset';

export interface Notice { id: number; level: 'error' | 'warning' | 'info'; title: string; message: string }

export interface JobState {
  id: number;
  phase: 'accuracy' | 'latency';
  done: number;
  total: number;
  correct: number;
}

/** What Quantize makes: every layer int8, binary (XNOR), or each layer as the per-layer table says. */
export type Scheme = 'int8' | 'binary' | 'mixed';

/** The binary options the UI edits (compress/binarize's BinaryRecipe without per-layer choices). */
export interface BinaryOptions { keepFirstLast: boolean; activationScale: boolean }

/** The loaded file or a compressed copy of it, as the worker holds it under `name`. */
export interface Variant {
  name: string;
  kind: 'original' | 'int8' | 'binary' | 'mixed' | 'student' | 'pruned';
  /** The int8 recipe that made it (int8 and mixed variants with int8 layers). */
  recipe?: Int8Recipe;
  /** The binary options that made it (binary variants, and mixed ones with binary layers). */
  binary?: BinaryOptions;
  /** Each Conv/Gemm layer's precision (mixed variants). */
  precisions?: Record<string, Precision>;
  /** Its file is the studio's own binary ONNX domain (docs/binary-format.md), which onnxruntime cannot run. */
  studioFormat?: boolean;
  /** What the budgeted search measured, for variants it picked. */
  auto?: { budget: number; drop: number; accuracy: number; baseline: number; samples: number };
  /** How a trained student was made (Train & distil). */
  trained?: TrainedInfo;
  /** How a pruned variant was made and what it changed (Prune). */
  pruned?: PrunedInfo;
  summary: ModelSummary;
  /** Layers the recipe quantized, and those it left in float with the reason. */
  quantized?: string[];
  skipped?: { node: string; reason: string }[];
  /** The latest evaluation of this variant. */
  eval?: EvalResult;
}

/** Quantizing runs calibration (or binarization), then evaluates the new variant (and the original, if it has no comparable result). */
export interface QuantizeJob {
  id: number;
  stage: 'calibrating' | 'binarizing' | 'evaluating';
  done: number;
  total: number;
}

/** A sensitivity analysis or an automatic (budgeted) search running in the worker. */
export interface SearchJob {
  id: number;
  kind: 'sensitivity' | 'auto';
  stage: 'calibration' | 'baseline' | 'int8' | 'binary' | 'choose';
  done: number;
  total: number;
  label?: string;
}

/** The Mixed precision card's inputs, kept as typed so a bad value is shown, not lost. */
export interface MixedInputs {
  /** Evaluation samples for sensitivity and the search, from the start of the dataset. */
  samples: string;
  /** Also measure each layer binarized. */
  binary: boolean;
  /** Accuracy-drop budget in points. */
  budget: string;
}

export interface WeightsView {
  layer: string;
  /** The variant the histogram was computed against (the current one). */
  variant: string;
  histogram: WeightHistogram | null;
  error: string | null;
}

export interface StudioState {
  webgpu: 'checking' | 'ready' | 'missing' | 'failed';
  device: DeviceSummary | null;
  model: ModelSummary | null;
  modelLoading: string | null;
  dataset: DatasetSummary | null;
  /** An images file waiting for its labels (or the reverse). */
  pendingIdx: { kind: 'images' | 'labels'; name: string } | null;
  preprocess: Preprocess;
  limit: number | null;
  job: JobState | null;
  results: EvalResult[];
  variants: Variant[];
  /** The variant the worker runs now (its summary is `model`). */
  currentVariant: string | null;
  /** The int8 recipe; its `layers` hold the per-layer table's choices (used by the mixed scheme). */
  recipe: Int8Recipe;
  scheme: Scheme;
  binaryRecipe: BinaryOptions;
  /** The loaded file's Conv/Gemm layers and what each can become. */
  precisionLayers: PrecisionLayer[] | null;
  quantizeJob: QuantizeJob | null;
  searchJob: SearchJob | null;
  mixedInputs: MixedInputs;
  sensitivity: SensitivityResult | null;
  /** The variant the last Auto made. */
  autoVariant: string | null;
  weights: WeightsView | null;
  notices: Notice[];
  /** Downloads write a symbolic batch dim instead of the loaded file's own input signature. */
  exportDynamicBatch: boolean;
}

export const initialState: StudioState = {
  webgpu: 'checking',
  device: null,
  model: null,
  modelLoading: null,
  dataset: null,
  pendingIdx: null,
  // MNIST's usual normalisation, which the bundled models were trained with.
  preprocess: { kind: 'normalize', mean: 0.1307, std: 0.3081 },
  limit: null,
  job: null,
  results: [],
  variants: [],
  currentVariant: null,
  // A few hundred calibration samples suffice for MNIST-size models (see DEFAULT_INT8_RECIPE).
  recipe: DEFAULT_INT8_RECIPE,
  scheme: 'int8',
  // XNOR-Net's practice: the first and last layers hold few weights and cost the most accuracy.
  binaryRecipe: { keepFirstLast: true, activationScale: false },
  precisionLayers: null,
  quantizeJob: null,
  searchJob: null,
  mixedInputs: { samples: '1000', binary: true, budget: '0.5' },
  sensitivity: null,
  autoVariant: null,
  weights: null,
  notices: [],
  // Exports keep the file's own signature unless asked: the user's other tools expect what they exported.
  exportDynamicBatch: false,
};

export const useStudio = create<StudioState>()(() => initialState);

let noticeId = 1;
export function pushNotice(level: Notice['level'], title: string, message: string): void {
  useStudio.setState((s) => ({ notices: [...s.notices.slice(-4), { id: noticeId++, level, title, message }] }));
}

export function dismissNotice(id: number): void {
  useStudio.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}
