/** Plain, serialisable summaries that cross the worker boundary and live in the store. */
import type { AdapterSummary } from '../gpu/context';
import type { ValueInfo } from '../model/ir';
import type { LayerStat } from '../model/stats';
import type { LatencyStats } from '../engine/evaluate';
import type { Preprocess } from '../data/dataset';

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
  /** Stored bytes of the weights, by dtype. */
  sizeBytes: number;
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
