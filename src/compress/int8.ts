/** int8 post-training quantization, end to end: plan the layers, calibrate on the GPU, rewrite to QDQ. */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { ModelError } from '../core/errors';
import type { Batch } from '../engine/evaluate';
import { observeTensors } from './calibrate';
import { planInt8, type Int8Recipe, type QuantPlan } from './quantize-plan';
import { activationParams, applyInt8 } from './quantize';
import type { QuantParams, Range } from './ranges';

export interface Int8Result {
  model: Model;
  plan: QuantPlan;
  ranges: Record<string, Range>;
  params: Record<string, QuantParams>;
}

export async function quantizeInt8(
  ctx: GpuContext, model: Model, recipe: Int8Recipe, batchAt: (start: number, count: number) => Batch,
  onProgress?: (done: number, total: number) => void, signal?: AbortSignal,
): Promise<Int8Result> {
  const plan = planInt8(model, recipe);
  if (!plan.layers.length) {
    const why = plan.skipped.map((s) => `'${s.node}': ${s.reason}`).join('; ');
    throw new ModelError(`no layer of this model can be quantized to int8${why ? ` (${why})` : ' (it has no Conv or Gemm layers)'}`);
  }
  if (recipe.activations === 'dynamic') return { model: applyInt8(model, plan, {}, recipe), plan, ranges: {}, params: {} };
  const observers = await observeTensors(ctx, model, plan.targets, batchAt, recipe.samples, 64, onProgress, signal);
  const ranges = Object.fromEntries(Object.entries(observers).map(([t, o]) => [t, o.range(recipe.calibration, recipe.percentile)]));
  const params = activationParams(model, plan, ranges, recipe);
  return { model: applyInt8(model, plan, params, recipe), plan, ranges, params };
}
