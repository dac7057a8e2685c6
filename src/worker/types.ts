/** Plain, serialisable summaries that cross the worker boundary and live in the store. */
import type { AdapterSummary } from '../gpu/context';
import type { ValueInfo } from '../model/ir';
import type { LayerStat } from '../model/stats';
import type { LatencyStats } from '../engine/evaluate';
import type { Preprocess } from '../data/dataset';

// The recipe the UI edits and the CLI reads; its defaults (with their reasons) live in compress/.
export { DEFAULT_INT8_RECIPE, type Int8Recipe } from '../compress/quantize-plan';

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

/** One layer's weights binned over shared edges, one series per model (the loaded file, the current variant). */
export interface WeightHistogram {
  edges: number[];
  series: { name: string; counts: number[] }[];
}

/** Progress of an evaluation (accuracy pass, then latency) or of an int8 calibration pass. */
export interface EvalProgress { phase: 'accuracy' | 'latency'; done: number; total: number; correct: number }
export interface CalibrationProgress { phase: 'calibration'; done: number; total: number }
