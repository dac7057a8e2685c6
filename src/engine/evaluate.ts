/**
 * Evaluation shared by the studio's worker and the CLI: top-1 accuracy over a labelled set in
 * batches (with progress and cancel), and latency by the benchmark protocol (warm-up, then median
 * and p95 over repeated runs; GPU timestamps where the adapter has them).
 */
import { CancelledError } from '../core/errors';
import type { InferenceSession } from './session';
import type { LatencySummary } from '../core/latency';

/** Whether `label` is among the five highest of the `classes` scores of row `r` (ties count against it). */
export function inTop5(logits: Float32Array, r: number, classes: number, label: number): boolean {
  const v = logits[r * classes + label]!;
  let above = 0;
  for (let c = 0; c < classes && above < 5; c++) if (c !== label && logits[r * classes + c]! >= v) above++;
  return above < 5;
}

/** `rows`: how many items the input holds as the model sees it (padding included; 1 for an input without a batch dim). */
export interface Batch { input: Float32Array; shape: number[]; labels: ArrayLike<number>; rows?: number }

export interface AccuracyProgress { done: number; total: number; correct: number }

export interface AccuracyResult {
  accuracy: number;
  correct: number;
  /** Items whose label is among the five highest scores; null where the model has five classes or fewer. */
  top5Correct: number | null;
  samples: number;
  /** Predicted class per sample (for confusion matrices later). */
  predictions: Int32Array;
  ms: number;
}

export function argmaxRows(logits: Float32Array, rows: number): Int32Array {
  const classes = logits.length / rows;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0, bv = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = logits[r * classes + c]!;
      if (v > bv) { bv = v; best = c; }
    }
    out[r] = best;
  }
  return out;
}

export async function evaluateAccuracy(
  session: InferenceSession,
  batchAt: (start: number, count: number) => Batch,
  total: number,
  batchSize: number,
  onProgress?: (p: AccuracyProgress) => void,
  signal?: AbortSignal,
): Promise<AccuracyResult> {
  const t0 = performance.now();
  const predictions = new Int32Array(total);
  let correct = 0, top5: number | null = null;
  for (let start = 0; start < total;) {
    if (signal?.aborted) throw new CancelledError();
    const batch = batchAt(start, Math.min(batchSize, total - start));
    const count = batch.labels.length; // a model that fixes its batch may take fewer items per run
    if (count === 0) throw new RangeError(`no items at ${start} of ${total}`);
    const { output } = await session.runBatch(batch.input, batch.shape);
    // Rows as the model ran them: a fixed batch pads past the real items; an unbatched input is one row.
    const rows = batch.rows ?? batch.shape[0]!;
    const all = Math.max(rows, count);
    const pred = argmaxRows(output.data, all);
    const classes = output.data.length / all;
    if (classes > 5) top5 ??= 0;
    for (let i = 0; i < count; i++) {
      predictions[start + i] = pred[i]!;
      if (pred[i] === Number(batch.labels[i])) correct++;
      if (top5 !== null && inTop5(output.data, i, classes, Number(batch.labels[i]))) top5++;
    }
    start += count;
    onProgress?.({ done: start, total, correct });
  }
  return { accuracy: total ? correct / total : 0, correct, top5Correct: top5, samples: total, predictions, ms: performance.now() - t0 };
}

export interface LatencyStats extends LatencySummary {
  /** Wall-clock budget for the measured runs (warm-up not counted); null when none. */
  budgetMs: number | null;
  gpuP95Ms: number | null;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** A batch size that could not be measured, and why (e.g. the model fixes its batch to 1). */
export interface LatencySkipped { batch: number; reason: string }

export interface LatencyOptions {
  runs?: number;
  warmup?: number;
  /** Stop measuring after this many ms of runs (at least one run is made), so big models answer in minutes. */
  budgetMs?: number | null;
  signal?: AbortSignal;
  /** The input shape to time, where it is not [batch, ...] (an input without a batch dim). */
  shape?: number[];
}

/** N runs or the time budget, whichever comes first, after warm-up; median, p95, min and max. */
export async function measureLatency(session: InferenceSession, batch: number, opts: LatencyOptions = {}): Promise<LatencyStats> {
  const { runs = 20, warmup = 3, budgetMs = null, signal } = opts;
  const shape = opts.shape ?? session.inputShapeFor(batch);
  const input = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
  const warmStart = performance.now();
  for (let i = 0; i < warmup; i++) {
    if (signal?.aborted) throw new CancelledError();
    await session.runBatch(input, shape);
    if (budgetMs !== null && performance.now() - warmStart > budgetMs) break; // one warm-up is enough for a slow model
  }
  const wall: number[] = [], gpu: number[] = [];
  const start = performance.now();
  for (let i = 0; i < runs; i++) {
    if (signal?.aborted) throw new CancelledError();
    if (i > 0 && budgetMs !== null && performance.now() - start >= budgetMs) break;
    const t = performance.now();
    const { gpuMs } = await session.runBatch(input, shape, true);
    wall.push(performance.now() - t);
    if (gpuMs !== null) gpu.push(gpuMs);
  }
  wall.sort((a, b) => a - b);
  gpu.sort((a, b) => a - b);
  const hasGpu = gpu.length === wall.length;
  return {
    batch, runs: wall.length, requestedRuns: runs, budgetMs,
    medianMs: percentile(wall, 50), p5Ms: percentile(wall, 5), p95Ms: percentile(wall, 95), minMs: wall[0]!, maxMs: wall.at(-1)!,
    gpuMedianMs: hasGpu ? percentile(gpu, 50) : null, gpuP95Ms: hasGpu ? percentile(gpu, 95) : null,
    timing: hasGpu ? 'gpu-timestamps' : 'wall-clock',
  };
}
