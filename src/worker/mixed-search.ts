/**
 * Mixed precision for the runtime (page and CLI): per-layer variants built from the loaded file,
 * per-layer sensitivity and the budgeted automatic choice. One calibration is shared by every
 * int8 candidate and cached with the sensitivities measured on it until the model or data change.
 */
import type { GpuContext } from '../gpu/context';
import { CancelledError, DatasetError, ModelError } from '../core/errors';
import { quantizeInt8 } from '../compress/int8';
import { planInt8, type Int8Recipe, type Precision } from '../compress/quantize-plan';
import { MixedPrecisionSearch } from '../compress/sensitivity';
import { applyMixedBinary, binarizeOnly, planMixed, precisionLayers, type MixedPlan } from '../compress/mixed-precision';
import type { Model } from '../model/ir';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy } from '../engine/evaluate';
import { batchFor, checkFits, sliceDataset, type LabelledDataset, type Preprocess } from '../data/dataset';
import type { AutoOptions, SearchProgress, SensitivityOptions, SensitivityResult, SensitivityRow } from './types';
import type { DataRole } from '../recipe/vocabulary';

/** What the search reads from the runtime: the test set, the calibration items and the device. */
export interface SearchHost {
  dataset(): LabelledDataset | null;
  /** The items static int8 calibration reads for this recipe (refuses bad counts). */
  calibration(recipe: Int8Recipe, role: DataRole): LabelledDataset;
  device(): Promise<GpuContext>;
}

/** The float model a search or a mix starts from, and its id (the cache key). */
export interface SearchBase { model: Model; name: string }

/** The budgeted choice: every layer's precision, the model and what it measured. */
export interface AutoChoice { layers: Record<string, Precision>; model: Model; accuracy: number; drop: number; sensitivity: SensitivityResult }

export class MixedPrecisionRuns {
  /** Bumped by reset(), so a cached calibration never outlives the model or data it saw. */
  private generation = 0;
  /** One calibration shared by sensitivity and the budgeted search, with the sensitivities measured on it. */
  private cache: { key: string; search: MixedPrecisionSearch; sensitivity: Map<string, SensitivityResult> } | null = null;

  constructor(private readonly host: SearchHost) {}

  /** Forgets the calibration: the loaded model or dataset changed. */
  reset(): void {
    this.generation++;
    this.cache = null;
  }

  /** The loaded file with exactly these per-layer precisions: binary layers first, then int8 calibrated on that result. */
  async buildMix(base: SearchBase, choices: Record<string, Precision>, recipe: Int8Recipe, activationScale: boolean, preprocess: Preprocess, role: DataRole,
    onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<{ plan: MixedPlan; model: Model }> {
    const plan = planMixed(base.model, choices, recipe, activationScale);
    let model = applyMixedBinary(base.model, plan);
    if (plan.int8.length) {
      const { ds, recipe: int8Recipe } = this.calibrationFor(plan.int8Recipe, role);
      const input = modelInput(model);
      checkFits(ds, input.shape, input.name);
      const ctx = await this.host.device();
      model = (await quantizeInt8(ctx, model, int8Recipe, (s, n) => batchFor(ds, s, n, preprocess, input.shape, input.name), onProgress, signal)).model;
    }
    if (signal?.aborted) throw new CancelledError();
    return { plan, model };
  }

  /**
   * How much accuracy each layer costs alone: int8 (every candidate shares one calibration) and,
   * when asked, binary. Evaluated on the first `samples` items; the float baseline on the same.
   */
  async sensitivity(from: SearchBase, opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<SensitivityResult> {
    const { model: base, name: baseName } = from;
    const ds = evaluationData(this.host.dataset(), opts.samples);
    const info = precisionLayers(base);
    const { search, key } = await this.calibrated(from, opts, onProgress, signal);
    const cacheKey = JSON.stringify([opts.samples, opts.binary, opts.activationScale]);
    const cached = this.cache?.key === key ? this.cache.sensitivity.get(cacheKey) : undefined;
    if (cached) return cached;
    const evaluate = (m: Model) => this.accuracyOf(m, ds, opts.samples, opts.preprocess, signal);
    onProgress?.({ phase: 'search', stage: 'baseline', done: 0, total: 1, label: baseName });
    const baseline = await evaluate(base);
    const int8 = await search.sensitivity(baseline, evaluate, {
      signal, onStep: (done, total, label) => onProgress?.({ phase: 'search', stage: 'int8', done, total, label }),
    });
    const binary = new Map<string, { accuracy: number; drop: number }>();
    if (opts.binary) {
      const can = info.filter((l) => !l.binary);
      for (const [i, l] of can.entries()) {
        if (signal?.aborted) throw new CancelledError();
        onProgress?.({ phase: 'search', stage: 'binary', done: i, total: can.length, label: l.name });
        const accuracy = await evaluate(binarizeOnly(base, l.name, opts.activationScale));
        binary.set(l.name, { accuracy, drop: baseline - accuracy });
      }
    }
    const rows: SensitivityRow[] = info.map((l) => {
      const s = int8.find((x) => x.layer === l.name);
      return {
        layer: l.name, opType: l.opType, params: l.params,
        int8: s ? { accuracy: s.accuracy, drop: s.drop } : null, binary: binary.get(l.name) ?? null,
        int8Refused: l.int8, binaryRefused: opts.binary ? l.binary : null,
      };
    });
    const result: SensitivityResult = { baseline, samples: opts.samples, calibrationSamples: opts.recipe.activations === 'dynamic' ? 0 : opts.recipe.samples, binary: opts.binary, rows, model: baseName };
    if (this.cache?.key === key) this.cache.sensitivity.set(cacheKey, result);
    return result;
  }

  /**
   * The smallest mix whose accuracy drop on the first `samples` items stays within `budget`:
   * int8/fp32 by MixedPrecisionSearch.choose (reusing the calibration and sensitivities measured
   * before with the same settings), then, where binary sensitivities were measured, int8 layers
   * moved to binary while the mix still fits.
   */
  async auto(from: SearchBase, opts: AutoOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<AutoChoice> {
    const { model: base } = from;
    const sensitivity = await this.sensitivity(from, opts, onProgress, signal);
    const { search, ds } = await this.calibrated(from, opts, onProgress, signal);
    const evaluate = (m: Model) => this.accuracyOf(m, ds, opts.samples, opts.preprocess, signal);
    const scores = sensitivity.rows.flatMap((r) => (r.int8 ? [{ layer: r.layer, accuracy: r.int8.accuracy, drop: r.int8.drop }] : []));
    const int8Choice = await search.choose(sensitivity.baseline, opts.budget, scores, evaluate, {
      signal, onStep: (done, total, label) => onProgress?.({ phase: 'search', stage: 'choose', done, total, label }),
    });
    // Layers the int8 plan refused stay fp32; the table shows every layer.
    const layers: Record<string, Precision> = Object.fromEntries(precisionLayers(base).map((l) => [l.name, int8Choice.layers[l.name] ?? 'fp32']));
    const choice = await this.upgradeToBinary(from, layers, { model: int8Choice.model, accuracy: int8Choice.accuracy }, sensitivity, opts, evaluate, onProgress, signal);
    return { ...choice, drop: sensitivity.baseline - choice.accuracy, sensitivity };
  }

  /**
   * With binary sensitivities measured, moves int8 layers to binary, least sensitive first, while
   * the whole mix (calibrated anew, since binary layers change what later layers see) stays within
   * the budget. Layers whose binary drop alone exceeds the budget are not tried.
   */
  private async upgradeToBinary(base: SearchBase, layers: Record<string, Precision>, current: { model: Model; accuracy: number }, sensitivity: SensitivityResult,
    opts: AutoOptions, evaluate: (m: Model) => Promise<number>, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal,
  ): Promise<{ layers: Record<string, Precision>; model: Model; accuracy: number }> {
    const candidates = sensitivity.rows
      .filter((r) => layers[r.layer] === 'int8' && r.binary && r.binary.drop <= opts.budget + 1e-9)
      .sort((a, b) => a.binary!.drop - b.binary!.drop);
    let best = { layers, ...current };
    for (const [i, r] of candidates.entries()) {
      if (signal?.aborted) throw new CancelledError();
      onProgress?.({ phase: 'search', stage: 'binary', done: i, total: candidates.length, label: r.layer });
      const trial = { ...best.layers, [r.layer]: 'binary' as const };
      const { model } = await this.buildMix(base, trial, opts.recipe, opts.activationScale, opts.preprocess, opts.calibrationData ?? 'test', undefined, signal);
      const accuracy = await evaluate(model);
      if (sensitivity.baseline - accuracy <= opts.budget + 1e-9) best = { layers: trial, model, accuracy };
    }
    return best;
  }

  /** Every refusal a sensitivity run or search can make, without calibrating or evaluating anything. */
  check(from: SearchBase, opts: SensitivityOptions): void {
    const { model: base } = from;
    const ds = evaluationData(this.host.dataset(), opts.samples);
    const { ds: cal, recipe } = this.calibrationFor(opts.recipe, opts.calibrationData ?? 'test');
    const search = new MixedPrecisionSearch(base, { ...recipe, layers: {}, defaultPrecision: 'int8' });
    if (!search.layers.length && !opts.binary) {
      const why = precisionLayers(base).map((l) => `'${l.name}': ${l.int8}`).join('; ');
      throw new ModelError(`no layer of this model can be quantized to int8${why ? ` (${why})` : ' (it has no Conv or Gemm layers)'}`);
    }
    const input = modelInput(base);
    checkFits(cal, input.shape, input.name);
    checkFits(ds, input.shape, input.name);
  }

  /** The search calibrated for these settings: the cached one when nothing it depends on changed. */
  private async calibrated(from: SearchBase, opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<{ search: MixedPrecisionSearch; key: string; ds: LabelledDataset }> {
    const { model: base, name } = from;
    const ds = evaluationData(this.host.dataset(), opts.samples);
    const { layers: _l, defaultPrecision: _d, ...calibrationPart } = opts.recipe;
    const key = JSON.stringify([name, this.generation, calibrationPart, opts.preprocess, opts.calibrationData ?? 'test']);
    if (this.cache?.key === key) return { search: this.cache.search, key, ds };
    const { ds: cal, recipe } = this.calibrationFor(opts.recipe, opts.calibrationData ?? 'test');
    const search = new MixedPrecisionSearch(base, { ...recipe, layers: {}, defaultPrecision: 'int8' });
    if (!search.layers.length) {
      const why = precisionLayers(base).map((l) => `'${l.name}': ${l.int8}`).join('; ');
      throw new ModelError(`no layer of this model can be quantized to int8${why ? ` (${why})` : ' (it has no Conv or Gemm layers)'}`);
    }
    const input = modelInput(base);
    checkFits(cal, input.shape, input.name);
    if (recipe.activations !== 'dynamic') onProgress?.({ phase: 'search', stage: 'calibration', done: 0, total: recipe.samples });
    await search.calibrate(await this.host.device(), (s, n) => batchFor(cal, s, n, opts.preprocess, input.shape, input.name), signal,
      (done, total) => onProgress?.({ phase: 'search', stage: 'calibration', done, total }));
    this.cache = { key, search, sensitivity: new Map() };
    return { search, key, ds };
  }

  /**
   * The items static int8 calibrates on (ProjectData.calibrationItems). A dynamic recipe reads none
   * (compress/ skips calibration for it): its count is only clamped so no check trips on it.
   */
  calibrationFor(recipe: Int8Recipe, role: DataRole): { ds: LabelledDataset; recipe: Int8Recipe } {
    if (recipe.activations === 'dynamic') {
      const ds = this.host.dataset();
      if (!ds) throw new DatasetError('No dataset is loaded: drop the images first (a folder or zip of class folders, a manifest, CIFAR batches, arrays, or IDX images + labels).');
      const k = Math.min(Number.isInteger(recipe.samples) && recipe.samples > 0 ? recipe.samples : 1, ds.count);
      return { ds: sliceDataset(ds, ds.count - k), recipe: { ...recipe, samples: k } };
    }
    return { ds: this.host.calibration(recipe, role), recipe };
  }

  /** Accuracy of a candidate model on the first `samples` items, in its own session (the current model is untouched). */
  private async accuracyOf(model: Model, ds: LabelledDataset, samples: number, preprocess: Preprocess, signal?: AbortSignal): Promise<number> {
    const session = new InferenceSession(await this.host.device(), model);
    try {
      const input = session.input;
      const layout = checkFits(ds, input.shape, input.name);
      // Batches of 64 from item 0, as Evaluate reads them, so the figures match its results exactly.
      const r = await evaluateAccuracy(session, (s, n) => batchFor(ds, s, n, preprocess, input.shape, input.name), samples, layout.batch ?? 64, undefined, signal);
      return r.accuracy;
    } finally {
      session.destroy();
    }
  }
}

export function modelInput(model: Model): { name: string; shape: readonly (number | string)[] } {
  const input = model.graph.inputs.find((i) => !model.graph.initializers[i.name]) ?? model.graph.inputs[0];
  if (!input) throw new ModelError('the model has no input');
  return input;
}

/** The first `samples` items, for evaluating candidates; refuses a count the dataset cannot give. */
export function evaluationData(ds: LabelledDataset | null, samples: number): LabelledDataset {
  if (!ds) throw new DatasetError('No dataset is loaded: drop the images first (a folder or zip of class folders, a manifest, CIFAR batches, arrays, or IDX images + labels).');
  if (!Number.isInteger(samples) || samples < 1 || samples > ds.count) {
    throw new DatasetError(`evaluation samples must be a whole number from 1 to ${ds.count} (the dataset's size), not ${samples}`);
  }
  return ds;
}

/** Refuses int8 quantization of `model` (nothing to quantize, data that does not fit, bad counts) before any slow work; `ds` is null for dynamic activations. */
export function checkInt8Inputs(model: Model, recipe: Int8Recipe, ds: LabelledDataset | null): void {
  const plan = planInt8(model, recipe);
  if (!plan.layers.length) {
    const why = plan.skipped.map((k) => `'${k.node}': ${k.reason}`).join('; ');
    throw new ModelError(`no layer of this model can be quantized to int8${why ? ` (${why})` : ' (it has no Conv or Gemm layers)'}`);
  }
  if (!ds) return;
  const input = model.graph.inputs[0]!;
  checkFits(ds, input.shape, input.name);
}
