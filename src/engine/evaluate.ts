/**
 * Evaluation shared by the studio's worker and the CLI: top-1 (and top-5) accuracy over a labelled
 * set in batches, with progress and cancel. Latency is ./latency.ts.
 */
import { CancelledError } from '../core/errors';
import type { InferenceSession } from './session';

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
