/**
 * Latency by the benchmark protocol (warm-up, then median and p95 over repeated runs; GPU timestamps
 * where the adapter has them), held to a time budget that counts the warm-up and the first run (the
 * one that compiles the pipelines). A batch size whose runs would not fit the budget, judged by the
 * time per item already seen at a smaller batch, is measured at the largest smaller batch that fits
 * and scaled (the figure says so), or skipped with the reason: a 224×224 model on a software adapter
 * answers in seconds, not after twenty batch-64 runs of a minute each.
 */
import { CancelledError } from '../core/errors';
import type { LayerProfile, LatencySummary } from '../core/latency';
import type { InferenceSession } from './session';

/** A batch size that could not be measured, and why (e.g. the model fixes its batch to 1). */
export interface LatencySkipped { batch: number; reason: string }

export interface LatencyStats extends LatencySummary {
  /** Wall-clock budget for the warm-up and measured runs; null when none. */
  budgetMs: number | null;
  gpuP95Ms: number | null;
}

/** What latency and profile runs feed the model: every value 0.5 (timing does not depend on the values). */
function timingInput(shape: readonly number[]): Float32Array {
  return new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs made so far of one batch size (warm-up included) and the most it will make. */
export interface LatencyProgress { batch: number; runs: number; most: number }

export interface LatencyOptions {
  runs?: number;
  warmup?: number;
  /**
   * Wall-clock ms for the warm-up and the timed runs together, so big models answer in seconds: the
   * warm-up takes at most a third of it (one run at least), the timed runs the rest (one at least);
   * no run starts that the run before says would end past it.
   */
  budgetMs?: number | null;
  signal?: AbortSignal;
  /** The input shape to time, where it is not [batch, ...] (an input without a batch dim). */
  shape?: number[];
  onRun?: (p: LatencyProgress) => void;
}

/** N runs or the time budget, whichever comes first, after warm-up; median, p95, min and max. */
export async function measureLatency(session: InferenceSession, batch: number, opts: LatencyOptions = {}): Promise<LatencyStats> {
  const { runs = 20, warmup = 3, budgetMs = null, signal, onRun } = opts;
  const shape = opts.shape ?? session.inputShapeFor(batch);
  const input = timingInput(shape);
  const start = performance.now();
  const spent = () => performance.now() - start;
  const most = Math.max(1, warmup) + runs;
  let made = 0, firstRunMs = 0;
  // A run is not started where the one before says it would end past the limit.
  let lastMs = 0;
  const wouldPass = (limit: number) => budgetMs !== null && spent() + lastMs > limit;
  for (let i = 0; i < Math.max(1, warmup); i++) {
    if (signal?.aborted) throw new CancelledError();
    if (i > 0 && wouldPass(budgetMs! / 3)) break;
    const t = performance.now();
    await session.runBatch(input, shape);
    lastMs = performance.now() - t;
    if (i === 0) firstRunMs = lastMs;
    onRun?.({ batch, runs: ++made, most });
  }
  const wall: number[] = [], gpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (signal?.aborted) throw new CancelledError();
    if (i > 0 && wouldPass(budgetMs!)) break;
    const t = performance.now();
    const { gpuMs } = await session.runBatch(input, shape, true);
    lastMs = performance.now() - t;
    wall.push(lastMs);
    if (gpuMs !== null) gpu.push(gpuMs);
    onRun?.({ batch, runs: ++made, most });
  }
  wall.sort((a, b) => a - b);
  gpu.sort((a, b) => a - b);
  const hasGpu = gpu.length === wall.length;
  return {
    batch, runs: wall.length, requestedRuns: runs, budgetMs, firstRunMs,
    medianMs: percentile(wall, 50), p5Ms: percentile(wall, 5), p95Ms: percentile(wall, 95), minMs: wall[0]!, maxMs: wall.at(-1)!,
    gpuMedianMs: hasGpu ? percentile(gpu, 50) : null, gpuP95Ms: hasGpu ? percentile(gpu, 95) : null,
    timing: hasGpu ? 'gpu-timestamps' : 'wall-clock',
  };
}

/** What to run for a figure at `batch`: that batch, a smaller one to scale from, or nothing (and why). */
export type BatchPlan = { run: number } | { skip: string };

/**
 * The batch to run for a figure at `batch` within `budgetMs`, from the per-item time seen at a smaller
 * batch (null: nothing seen yet, run it as asked). A figure needs two runs (a warm-up and a timed one);
 * per-item time only falls as the batch grows, so the estimate errs on the safe side. Halving down to
 * batch 2 (batch 1 has its own figure); below that the figure is skipped.
 */
export function planBatch(batch: number, msPerItem: number | null, budgetMs: number | null): BatchPlan {
  if (msPerItem === null || budgetMs === null) return { run: batch };
  const fits = (b: number) => 2 * b * msPerItem <= budgetMs;
  for (let b = batch; b >= 2; b = Math.floor(b / 2)) if (fits(b)) return { run: b };
  const oneRunS = (batch * msPerItem) / 1000;
  // Said after "the model": the page and the CLI write "the model <reason>".
  return { skip: `would take about ${oneRunS < 10 ? oneRunS.toFixed(1) : Math.round(oneRunS)} s a run at batch ${batch} here (${msPerItem.toFixed(0)} ms an item at the smaller batch), over the ${(budgetMs / 1000).toFixed(0)} s latency budget` };
}

/** A figure measured at a smaller batch, stated for `batch`: every time times batch ÷ run batch. */
function scaleTo(l: LatencyStats, batch: number): LatencyStats {
  const k = batch / l.batch;
  return {
    ...l, batch, scaledFrom: l.batch,
    medianMs: l.medianMs * k, p5Ms: l.p5Ms * k, p95Ms: l.p95Ms * k, minMs: l.minMs * k, maxMs: l.maxMs * k,
    gpuMedianMs: l.gpuMedianMs === null ? null : l.gpuMedianMs * k, gpuP95Ms: l.gpuP95Ms === null ? null : l.gpuP95Ms * k,
  };
}

/**
 * Figures at each of `sizes` (ascending), each within its own budget: the smallest as asked, each
 * larger one as `planBatch` says from the per-item time of the one before.
 */
export async function measureLatencies(session: InferenceSession, sizes: readonly number[], opts: LatencyOptions = {}): Promise<{ latency: LatencyStats[]; skipped: LatencySkipped[] }> {
  const latency: LatencyStats[] = [], skipped: LatencySkipped[] = [];
  let msPerItem: number | null = null;
  for (const batch of sizes) {
    const plan = planBatch(batch, msPerItem, opts.budgetMs ?? null);
    if ('skip' in plan) { skipped.push({ batch, reason: plan.skip }); continue; }
    const l = await measureLatency(session, plan.run, opts);
    latency.push(plan.run === batch ? l : scaleTo(l, batch));
    msPerItem = l.medianMs / plan.run;
  }
  return { latency, skipped };
}

/**
 * Where one run's time goes at `batch`: every step timed in its own pass (one run, after one
 * untimed run so nothing compiles inside it, unless `warm`: that batch has just been run). Null where the adapter has no timestamp queries.
 */
export async function profileLayers(session: InferenceSession, batch: number, opts: { shape?: number[]; warm?: boolean } = {}): Promise<LayerProfile | null> {
  const shape = opts.shape ?? session.inputShapeFor(batch);
  const input = timingInput(shape);
  if (!opts.warm) await session.runBatch(input, shape);
  const layers = await session.plan({ [session.input.name]: shape }).profile({ [session.input.name]: input });
  return layers && { batch, layers, totalMs: layers.reduce((a, l) => a + l.ms, 0) };
}
