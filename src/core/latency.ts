/** The figures of one latency measurement at one batch size, as the engine measures them and a variant's record keeps them. */
export interface LatencySummary {
  batch: number;
  /** Runs measured; fewer than `requestedRuns` when the time budget ran out first. */
  runs: number;
  requestedRuns: number;
  /** End to end: upload + run + readback, wall clock. */
  medianMs: number;
  /** The 5th and 95th percentiles: the bars the charts draw. */
  p5Ms: number;
  p95Ms: number;
  minMs: number;
  maxMs: number;
  /** GPU time of the compute pass by timestamp queries; null where the adapter has none. */
  gpuMedianMs: number | null;
  timing: 'gpu-timestamps' | 'wall-clock';
  /** The batch actually run when the figure is scaled from a smaller one to fit the time budget (times × batch ÷ scaledFrom). */
  scaledFrom?: number;
  /** The first (warm-up) run, which compiles what was not compiled yet; not among the timed runs. */
  firstRunMs?: number;
  /** GPU memory the model holds to run this batch: its weights, and activations (shared by lifetime) with scratch and params. Absent for a scaled figure. */
  deviceBytes?: { weights: number; activations: number };
}

/** A figure's GPU memory in words, or null: '49.7 MiB (weights 44.6 MiB, activations 5.1 MiB)'. */
export function describeDeviceBytes(l: LatencySummary, fmt: (bytes: number) => string): string | null {
  const d = l.deviceBytes;
  return d ? `${fmt(d.weights + d.activations)} (weights ${fmt(d.weights)}, activations ${fmt(d.activations)})` : null;
}

/** How a figure was taken, in words: "20 runs", "3 of 20 runs (time budget reached), at batch 8 scaled to 64". */
export function describeRuns(l: LatencySummary): string {
  const runs = l.runs < l.requestedRuns ? `${l.runs} of ${l.requestedRuns} runs (time budget reached)` : `${l.runs} runs`;
  return l.scaledFrom ? `${runs} at batch ${l.scaledFrom}, scaled to ${l.batch} to fit the time budget` : runs;
}

/** Wall-clock ms each latency figure may take, warm-up and first run included (steps' `latencyBudgetMs` default). */
export const LATENCY_BUDGET_MS = 10_000;

/** One plan step's share of a run: a layer (with what was fused into it) and its GPU time. */
export interface LayerTime {
  name: string;
  opType: string;
  /** GPU milliseconds of the step's own dispatches, by timestamps around them. */
  ms: number;
  /** Nodes folded into this step's kernels (an activation, a batch norm). */
  fused?: string[];
}

/** Where a run's time goes, per layer, at one batch size. */
export interface LayerProfile {
  batch: number;
  layers: LayerTime[];
  /** The sum of the layers' times (the passes' own overheads are not in it). */
  totalMs: number;
}

/** Time per op type, largest first: "Conv 61 %, StudioInt8Conv 20 %, …". */
export function timeByOpType(p: LayerProfile): { opType: string; ms: number; layers: number }[] {
  const by = new Map<string, { opType: string; ms: number; layers: number }>();
  for (const l of p.layers) {
    const e = by.get(l.opType) ?? { opType: l.opType, ms: 0, layers: 0 };
    e.ms += l.ms; e.layers += 1;
    by.set(l.opType, e);
  }
  return [...by.values()].sort((a, b) => b.ms - a.ms);
}

/** A layer of `p` beside the layer of the same name in `base` (another variant's profile). */
export interface LayerVersus extends LayerTime { baseMs: number | null }

/**
 * The layers of `p` with the time of the same-named layer in `base`: quantizing, binarizing and
 * pruning keep node names, so a variant's layers line up with its parent's. Largest first.
 */
export function layersVersus(p: LayerProfile, base: LayerProfile | null): LayerVersus[] {
  const byName = new Map(base?.layers.map((l) => [l.name, l.ms]) ?? []);
  return [...p.layers].sort((a, b) => b.ms - a.ms).map((l) => ({ ...l, baseMs: byName.get(l.name) ?? null }));
}
