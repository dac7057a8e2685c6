/** Plain, serialisable summaries that cross the worker boundary and live in the store. */
import type { AdapterSummary } from '../gpu/context';
import type { ValueInfo } from '../model/ir';
import type { LayerStat } from '../model/stats';
import type { LatencyStats } from '../engine/evaluate';
import type { Preprocess } from '../data/dataset';

export interface ModelSummary {
  fileName: string;
  producer: string;
  opset: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  layers: LayerStat[];
  /** Stored bytes of the weights, by dtype. */
  sizeBytes: number;
  bytesByDtype: Record<string, number>;
  params: number;
  /** FLOPs for one sample. */
  flops: number;
  /** Ops folded away or fused into a neighbour: dispatches saved. */
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
