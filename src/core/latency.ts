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
}
