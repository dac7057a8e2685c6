/**
 * Mixed precision for int8: how much accuracy each layer costs when it alone is quantized
 * (sensitivity), and the smallest model that stays within an accuracy-drop budget, found by
 * quantizing every layer and returning the most sensitive ones to float32 until the budget holds.
 * Calibration runs once; each trial only rewrites the graph with the ranges already observed.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { CancelledError } from '../core/errors';
import type { Batch } from '../engine/evaluate';
import { observeTensors } from './calibrate';
import { planInt8, type Int8Recipe } from './quantize-plan';
import { activationParams, applyInt8 } from './quantize';
import type { Range } from './ranges';
import { weightBytes } from './storage';

export interface LayerSensitivity { layer: string; accuracy: number; drop: number }

export interface MixedPrecisionChoice {
  layers: Record<string, 'fp32' | 'int8'>;
  accuracy: number;
  drop: number;
  weightBytes: number;
  model: Model;
}

/** Evaluates a candidate model's accuracy (the caller decides on how many samples). */
export type Evaluator = (model: Model) => Promise<number>;

/** Cancel between candidates (the evaluator should also honour the signal inside one), and step progress. */
export interface SearchHooks {
  signal?: AbortSignal;
  /** Called before each candidate is evaluated: `done` finished of at most `total`. */
  onStep?: (done: number, total: number, layer: string) => void;
}

/**
 * Accuracies are correct/total ratios, so a drop of exactly the budget (1 of 200 = 0.005) can come
 * out a hair above it in floating point; this tolerance keeps such a choice within budget.
 */
const BUDGET_EPSILON = 1e-9;

function checkAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

export class MixedPrecisionSearch {
  private ranges: Record<string, Range> = {};
  readonly layers: string[];

  constructor(private readonly model: Model, private readonly recipe: Int8Recipe) {
    this.layers = planInt8(model, { ...recipe, defaultPrecision: 'int8', layers: {} }).layers.map((l) => l.node.name);
  }

  /** Observes every quantizable layer's input and output once (nothing to observe for dynamic activations). */
  async calibrate(ctx: GpuContext, batchAt: (start: number, count: number) => Batch, signal?: AbortSignal, onProgress?: (done: number, total: number) => void): Promise<void> {
    if (this.recipe.activations === 'dynamic') return;
    const plan = planInt8(this.model, { ...this.recipe, defaultPrecision: 'int8', layers: {} });
    const observers = await observeTensors(ctx, this.model, plan.targets, batchAt, this.recipe.samples, 64, onProgress, signal);
    this.ranges = Object.fromEntries(Object.entries(observers).map(([t, o]) => [t, o.range(this.recipe.calibration, this.recipe.percentile)]));
  }

  /** The model with exactly `int8` layers quantized. */
  build(int8: ReadonlySet<string>): Model {
    const recipe: Int8Recipe = { ...this.recipe, defaultPrecision: 'fp32', layers: Object.fromEntries([...int8].map((l) => [l, 'int8'])) };
    const plan = planInt8(this.model, recipe);
    if (!plan.layers.length) return this.model;
    // Dynamic layers measure their ranges per batch at run time: no calibrated parameters.
    const params = recipe.activations === 'dynamic' ? {} : activationParams(this.model, plan, this.ranges, recipe);
    return applyInt8(this.model, plan, params, recipe);
  }

  async sensitivity(baseline: number, evaluate: Evaluator, hooks: SearchHooks = {}): Promise<LayerSensitivity[]> {
    const out: LayerSensitivity[] = [];
    for (const layer of this.layers) {
      checkAborted(hooks.signal);
      hooks.onStep?.(out.length, this.layers.length, layer);
      const accuracy = await evaluate(this.build(new Set([layer])));
      out.push({ layer, accuracy, drop: baseline - accuracy });
    }
    return out;
  }

  /** All layers int8, then the most sensitive back to fp32 one at a time until the drop fits `budget`. */
  async choose(baseline: number, budget: number, sensitivity: LayerSensitivity[], evaluate: Evaluator, hooks: SearchHooks = {}): Promise<MixedPrecisionChoice> {
    const int8 = new Set(this.layers);
    const bySensitivity = [...sensitivity].sort((a, b) => b.drop - a.drop).map((s) => s.layer);
    for (let trial = 0; ; trial++) {
      checkAborted(hooks.signal);
      hooks.onStep?.(trial, this.layers.length + 1, `${int8.size} of ${this.layers.length} layers int8`);
      const model = this.build(int8);
      const accuracy = await evaluate(model);
      if (baseline - accuracy <= budget + BUDGET_EPSILON || int8.size === 0) {
        const layers = Object.fromEntries(this.layers.map((l) => [l, int8.has(l) ? 'int8' as const : 'fp32' as const]));
        return { layers, accuracy, drop: baseline - accuracy, weightBytes: weightBytes(model), model };
      }
      int8.delete(bySensitivity.find((l) => int8.has(l))!);
    }
  }
}
