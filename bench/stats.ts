/** Median/min/max as the studio reports latency (same percentile rule as src/engine/evaluate.ts). */
import { percentile } from '../src/engine/latency';
import type { Stats } from './types';

export function stats(samples: number[]): Stats | null {
  if (!samples.length) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: percentile(sorted, 50), minMs: sorted[0]!, maxMs: sorted.at(-1)!, samplesMs: samples };
}

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}
