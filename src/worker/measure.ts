/**
 * Evaluating a variant into a Measurement (recipe/variant.ts): top-1 (and top-5 where the model has
 * more than five classes) with every item's prediction, then latency at batch 1 and 64 by the
 * benchmark protocol within a time budget. Keyed by dataset, preprocessing, item count and adapter.
 */
import { CancelledError, GpuError } from '../core/errors';
import type { GpuContext } from '../gpu/context';
import type { InferenceSession } from '../engine/session';
import { evaluateAccuracy } from '../engine/evaluate';
import { measureLatencies, profileLayers, type LatencySkipped } from '../engine/latency';
import type { LayerProfile } from '../core/latency';
import { batchFor, checkFits } from '../data/dataset';
import type { Batching } from '../model/rebatch';
import type { EvaluateStep } from '../recipe/steps';
import type { LatencyFigure, Measurement } from '../recipe/variant';
import type { Preprocess } from '../recipe/vocabulary';
import type { JobHandle } from './jobs';
import type { LoadedData } from './datasets';

export function describeAdapter(ctx: GpuContext): string {
  const i = ctx.info;
  const name = [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'unknown adapter';
  return i.isFallback ? `${name} (software)` : name;
}

export async function measure(session: InferenceSession, test: LoadedData, step: EvaluateStep, preprocess: Preprocess, batching: Batching | null, job: JobHandle): Promise<Measurement> {
  const ds = test.ds;
  const input = session.input;
  const layout = checkFits(ds, input.shape, input.name);
  const total = Math.min(ds.count, step.samples ?? ds.count);
  const at = Date.now();
  try {
    const acc = await evaluateAccuracy(session, (s, n) => batchFor(ds, s, n, preprocess, input.shape, input.name),
      total, layout.batch ?? step.batch, (p) => job.progress({ stage: 'accuracy', done: p.done, total: p.total }), job.signal);
    const { latency, latencySkipped, layers } = step.latency
      ? await latencyFigures(session, step, batching, job, layout.unbatched ? layout.itemDims : null)
      : { latency: [], latencySkipped: [], layers: undefined };
    return {
      key: { dataset: test.record.name, datasetSha256: test.record.sha256, preprocess, samples: acc.samples, adapter: describeAdapter(session.ctx) },
      at, top1: acc.accuracy, top5: acc.top5Correct === null ? null : acc.top5Correct / Math.max(1, acc.samples), correct: acc.correct,
      predictions: Array.from(acc.predictions), latency, latencySkipped, evalMs: acc.ms, batching: batching?.note ?? null,
      ...(layers ? { layers } : {}),
    };
  } catch (e) {
    if (session.ctx.isLost) throw new GpuError('The GPU device was lost during evaluation. A new device has been created and the model re-uploaded; evaluate again.');
    throw e;
  }
}

/**
 * Latency at batch 1 and 64 (or the model's own fixed batch) within the step's time budget, no
 * dataset needed (the input is filled with 0.5), then where one run's time goes per layer at the
 * smallest batch (one more run, made only where that batch was run as itself, not scaled, and the
 * adapter has timestamp queries). `unbatchedDims`: the input has no batch dim and runs one item of these
 * dims as the whole input.
 */
export async function latencyFigures(session: InferenceSession, step: EvaluateStep, batching: Batching | null, job: JobHandle, unbatchedDims: number[] | null = null): Promise<{ latency: LatencyFigure[]; latencySkipped: LatencySkipped[]; layers?: LayerProfile }> {
  const fixed = unbatchedDims ? 1 : session.fixedBatch;
  const sizes = fixed === null ? [1, 64] : [fixed];
  job.progress({ stage: 'latency', done: 0, total: 0, detail: `batch ${sizes[0]}` });
  const measured = await measureLatencies(session, sizes, {
    runs: step.runs, budgetMs: step.latencyBudgetMs, signal: job.signal, shape: unbatchedDims ?? undefined,
    onRun: (p) => job.progress({ stage: 'latency', done: p.runs, total: p.most, detail: `batch ${p.batch}${sizes.includes(p.batch) ? '' : ` (to scale to ${sizes.at(-1)})`}` }),
  });
  // GPU memory of the plans the timed runs used (a scaled figure's batch has no plan: none is made for it).
  const deviceBytes = (batch: number) => {
    const d = session.deviceBytes({ [session.input.name]: unbatchedDims ?? session.inputShapeFor(batch) });
    return { weights: d.weights, activations: d.activations + d.uniforms };
  };
  const latency: LatencyFigure[] = measured.latency.map((l) => ({
    batch: l.batch, runs: l.runs, requestedRuns: l.requestedRuns, medianMs: l.medianMs, p5Ms: l.p5Ms, p95Ms: l.p95Ms, minMs: l.minMs, maxMs: l.maxMs,
    gpuMedianMs: l.gpuMedianMs, timing: l.timing, ...(l.scaledFrom ? { scaledFrom: l.scaledFrom } : { deviceBytes: deviceBytes(l.batch) }),
    ...(l.firstRunMs !== undefined ? { firstRunMs: l.firstRunMs } : {}),
  }));
  const latencySkipped = [...measured.skipped];
  if (fixed !== null) {
    const why = unbatchedDims ? `takes one item at a time: its input ${JSON.stringify(unbatchedDims)} has no batch dim`
      : batching?.mode === 'fixed' ? batching.note : `fixes its batch to ${fixed}`;
    for (const b of [1, 64].filter((b) => b !== fixed)) latencySkipped.push({ batch: b, reason: why });
  }
  const first = measured.latency[0];
  let layers: LayerProfile | null = null;
  if (first && !first.scaledFrom && session.ctx.info.hasTimestamps) {
    if (job.signal?.aborted) throw new CancelledError();
    job.progress({ stage: 'latency', done: 0, total: 0, detail: `time per layer, batch ${first.batch}` });
    layers = await profileLayers(session, first.batch, { shape: unbatchedDims ?? undefined, warm: true });
  }
  return { latency, latencySkipped, ...(layers ? { layers } : {}) };
}
