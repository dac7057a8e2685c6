/**
 * The studio's one store, in slices per concern (device, model, dataset, job, results, variants,
 * quantize job, weight histogram, notices).
 * It holds plain serialisable summaries only; the GPU lives in the worker behind `client`.
 */
import { create } from 'zustand';
import { DEFAULT_INT8_RECIPE, type DatasetSummary, type DeviceSummary, type EvalResult, type Int8Recipe, type ModelSummary, type WeightHistogram } from '../worker/types';
import type { Preprocess } from '../data/dataset';

export interface Notice { id: number; level: 'error' | 'warning' | 'info'; title: string; message: string }

export interface JobState {
  id: number;
  phase: 'accuracy' | 'latency';
  done: number;
  total: number;
  correct: number;
}

/** The loaded file or a compressed copy of it, as the worker holds it under `name`. */
export interface Variant {
  name: string;
  kind: 'original' | 'int8';
  /** The recipe that made it (compressed variants only). */
  recipe?: Int8Recipe;
  summary: ModelSummary;
  /** Layers the recipe quantized, and those it left in float with the reason. */
  quantized?: string[];
  skipped?: { node: string; reason: string }[];
  /** The latest evaluation of this variant. */
  eval?: EvalResult;
}

/** Quantizing runs calibration, then evaluates the new variant (and the original, if it has no comparable result). */
export interface QuantizeJob {
  id: number;
  stage: 'calibrating' | 'evaluating';
  done: number;
  total: number;
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
  recipe: Int8Recipe;
  quantizeJob: QuantizeJob | null;
  weights: WeightsView | null;
  notices: Notice[];
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
  quantizeJob: null,
  weights: null,
  notices: [],
};

export const useStudio = create<StudioState>()(() => initialState);

let noticeId = 1;
export function pushNotice(level: Notice['level'], title: string, message: string): void {
  useStudio.setState((s) => ({ notices: [...s.notices.slice(-4), { id: noticeId++, level, title, message }] }));
}

export function dismissNotice(id: number): void {
  useStudio.setState((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
}
