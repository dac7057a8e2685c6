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
}

/** How a figure was taken, in words: "20 runs", "3 of 20 runs (time budget reached), at batch 8 scaled to 64". */
export function describeRuns(l: LatencySummary): string {
  const runs = l.runs < l.requestedRuns ? `${l.runs} of ${l.requestedRuns} runs (time budget reached)` : `${l.runs} runs`;
  return l.scaledFrom ? `${runs} at batch ${l.scaledFrom}, scaled to ${l.batch} to fit the time budget` : runs;
}

/** Wall-clock ms each latency figure may take, warm-up and first run included (steps' `latencyBudgetMs` default). */
export const LATENCY_BUDGET_MS = 10_000;
