/**
 * The studio's working core, shared by the Web Worker (page) and the CLI: owns the GPU context,
 * the loaded model and dataset, and runs evaluations. When the device is lost it makes a new one
 * and re-uploads the model, so nothing the user loaded is lost.
 */
import { createGpuContext } from '../gpu/adapter';
import type { GpuContext, DeviceLostInfo } from '../gpu/context';
import { CancelledError, DatasetError, GpuError, ModelError } from '../core/errors';
import { quantizeInt8, type Int8Result } from '../compress/int8';
import type { Int8Recipe, Precision } from '../compress/quantize-plan';
import { applyBinary, planBinary, type BinaryRecipe } from '../compress/binarize';
import { MixedPrecisionSearch } from '../compress/sensitivity';
import { applyMixedBinary, binarizeOnly, binaryLayerWeights, planMixed, precisionLayers, precisionTag, usesStudioFormat, type MixedPlan, type PrecisionLayer } from '../compress/mixed-precision';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { histogram, layerWeights, type Histogram } from '../compress/histogram';
import type { Model } from '../model/ir';
import { resolveGraph } from '../model/resolve';
import { layerStats, modelSize } from '../model/stats';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy, measureLatency, type AccuracyProgress } from '../engine/evaluate';
import { fuseGraph } from '../engine/fuse';
import { OPS } from '../engine/ops';
import { parseIdx, maybeGunzip } from '../data/idx';
import { datasetFromIdx, batchFor, checkFits, type LabelledDataset, type Preprocess } from '../data/dataset';
import type {
  AutoOptions, AutoResult, DatasetSummary, DeviceSummary, EvalOptions, EvalResult, MixedResult, ModelSummary,
  SearchProgress, SensitivityOptions, SensitivityResult, SensitivityRow,
} from './types';

export class StudioRuntime {
  private ctx: GpuContext | null = null;
  private model: Model | null = null;
  /** The loaded file and the variants made from it, by name; `model` is one of them. */
  private readonly variants = new Map<string, Model>();
  private baseName: string | null = null;
  private modelSummary: ModelSummary | null = null;
  private session: InferenceSession | null = null;
  private dataset: LabelledDataset | null = null;
  /** Bumped on every load, so a cached calibration never outlives the model or data it saw. */
  private generation = 0;
  /** One calibration shared by sensitivity and the budgeted search, with the sensitivities measured on it. */
  private search: { key: string; search: MixedPrecisionSearch; sensitivity: Map<string, SensitivityResult> } | null = null;
  onDeviceLost: (info: DeviceLostInfo) => void = () => {};

  constructor(private readonly gpu?: GPU) {}

  async device(): Promise<GpuContext> {
    if (this.ctx && !this.ctx.isLost) return this.ctx;
    const ctx = await createGpuContext(this.gpu ?? globalThis.navigator?.gpu);
    ctx.onLost((info) => {
      // Forget the dead device; the next call makes a new one and re-uploads the model.
      if (this.ctx === ctx) { this.ctx = null; this.session = null; }
      this.onDeviceLost(info);
    });
    this.ctx = ctx;
    return ctx;
  }

  async deviceSummary(): Promise<DeviceSummary> {
    const ctx = await this.device();
    return { ...ctx.info, pipelineCompiles: ctx.pipelineCompiles };
  }

  /** Parses and checks a model; on failure the previously loaded model stays. */
  async loadModel(bytes: Uint8Array, fileName: string): Promise<ModelSummary> {
    this.refuseWhileEvaluating(fileName);
    const model = importOnnx(bytes, fileName);
    const summary = await this.useModel(model, fileName);
    this.variants.clear();
    this.variants.set(fileName, model);
    this.baseName = fileName;
    this.generation++;
    this.search = null;
    return summary;
  }

  /** Switches to a variant made earlier (the loaded file or a compressed copy of it). */
  async selectVariant(name: string): Promise<ModelSummary> {
    const model = this.variants.get(name);
    if (!model) throw new ModelError(`there is no variant named '${name}'`);
    return this.useModel(model, name);
  }

  /** A variant as an ONNX file (int8 variants in the standard QDQ form). */
  exportVariant(name: string): Uint8Array {
    const model = this.variants.get(name);
    if (!model) throw new ModelError(`there is no variant named '${name}'`);
    return exportOnnx(model);
  }

  /** Histogram of one layer's weights in the loaded file and in the current variant. */
  weightHistogram(layer: string): Histogram {
    const base = this.baseName ? this.variants.get(this.baseName) : null;
    const named: { name: string; values: Float32Array }[] = [];
    for (const [name, model] of [[this.baseName, base], [this.modelSummary?.fileName, this.model]] as const) {
      const values = model ? layerWeights(model, layer) ?? binaryLayerWeights(model, layer) : null;
      if (values && name && !named.some((n) => n.name === name)) named.push({ name, values });
    }
    if (!named.length) throw new ModelError(`layer '${layer}' has no weights to show`);
    return histogram(named);
  }

  /**
   * Quantizes the loaded file to int8 and selects the new variant. Calibration uses the last
   * `recipe.samples` items of the loaded dataset, so it overlaps the evaluation set only there.
   */
  async quantizeVariant(recipe: Int8Recipe, preprocess: Preprocess, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<ModelSummary & { quantized: string[]; skipped: { node: string; reason: string }[] }> {
    const base = this.baseName ? this.variants.get(this.baseName) : null;
    if (!base || !this.baseName) throw new ModelError('No model is loaded: drop an .onnx file first.');
    const cal = this.calibrationFor(recipe); // refuses bad counts before anything changes
    if (this.model !== base) await this.useModel(base, this.baseName);
    const q = await this.quantizeInt8(cal.recipe, preprocess, cal.ds, onProgress, signal);
    const name = `${this.baseName.replace(/\.onnx$/i, '')}-int8-${recipe.perChannel ? 'pc' : 'pt'}-${recipe.activations === 'dynamic' ? 'dynamic' : recipe.calibration}.onnx`;
    this.variants.set(name, q.model);
    const summary = await this.useModel(q.model, name);
    return { ...summary, quantized: q.plan.layers.map((l) => l.node.name), skipped: q.plan.skipped };
  }

  /** Binarizes (XNOR-Net) the loaded file's Conv/Gemm layers and selects the new variant; needs no data. */
  async binarizeVariant(recipe: BinaryRecipe): Promise<ModelSummary & { binarized: string[]; kept: { node: string; reason: string }[] }> {
    const base = this.baseName ? this.variants.get(this.baseName) : null;
    if (!base || !this.baseName) throw new ModelError('No model is loaded: drop an .onnx file first.');
    const plan = planBinary(base, recipe);
    if (!plan.layers.length) throw new ModelError(`no layer of this model can be binarized (${plan.kept.map((k) => `'${k.node}': ${k.reason}`).join('; ') || 'it has no Conv or Gemm layers'})`);
    const model = applyBinary(base, plan, recipe);
    const name = `${this.baseName.replace(/\.onnx$/i, '')}-binary-${recipe.keepFirstLast ? 'kfl' : 'all'}${recipe.activationScale ? '-beta' : ''}.onnx`;
    const summary = await this.useModel(model, name); // refuses before the variant is kept
    this.variants.set(name, model);
    return { ...summary, binarized: plan.layers.map((l) => l.node.name), kept: plan.kept };
  }

  /** The loaded file's Conv/Gemm layers and which precisions each can take (with the reason where not). */
  precisionLayers(): PrecisionLayer[] {
    return precisionLayers(this.baseModel().model);
  }

  /**
   * A variant with exactly the given per-layer precisions: the binary layers are binarized first,
   * then the int8 layers are calibrated (on the last `recipe.samples` items) and quantized on that
   * result. Layers not named stay fp32. Any binary layer makes it the studio's own file format.
   */
  async mixedVariant(choices: Record<string, Precision>, recipe: Int8Recipe, activationScale: boolean, preprocess: Preprocess,
    onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<MixedResult> {
    const { name: baseName } = this.baseModel();
    const { plan, model } = await this.buildMix(choices, recipe, activationScale, preprocess, onProgress, signal);
    const name = `${baseName.replace(/\.onnx$/i, '')}-mixed-${precisionTag(plan.layers)}.onnx`;
    const summary = await this.useModel(model, name); // refuses before the variant is kept
    this.variants.set(name, model);
    return { ...summary, precisions: plan.layers, studioFormat: usesStudioFormat(model) };
  }

  /** The loaded file with exactly these per-layer precisions: binary layers first, then int8 calibrated on that result. */
  private async buildMix(choices: Record<string, Precision>, recipe: Int8Recipe, activationScale: boolean, preprocess: Preprocess,
    onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<{ plan: MixedPlan; model: Model }> {
    const plan = planMixed(this.baseModel().model, choices, recipe, activationScale);
    let model = applyMixedBinary(this.baseModel().model, plan);
    if (plan.int8.length) {
      const { ds, recipe: int8Recipe } = this.calibrationFor(plan.int8Recipe);
      const input = this.inputOf(model);
      checkFits(ds, input.shape, input.name);
      const ctx = await this.device();
      model = (await quantizeInt8(ctx, model, int8Recipe, (s, n) => batchFor(ds, s, n, preprocess, input.shape, input.name), onProgress, signal)).model;
    }
    if (signal?.aborted) throw new CancelledError();
    return { plan, model };
  }

  /**
   * How much accuracy each layer costs alone: int8 (every candidate shares one calibration) and,
   * when asked, binary. Evaluated on the first `samples` items; the float baseline on the same.
   */
  async sensitivity(opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<SensitivityResult> {
    return this.searching('A sensitivity analysis', () => this.sensitivityNow(opts, onProgress, signal));
  }

  /**
   * The smallest mix whose accuracy drop on the first `samples` items stays within `budget`:
   * int8/fp32 by MixedPrecisionSearch.choose (reusing the calibration and sensitivities measured
   * before with the same settings), then, where binary sensitivities were measured, int8 layers
   * moved to binary while the mix still fits. The chosen model becomes a variant and the current model.
   */
  async autoVariant(opts: AutoOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<AutoResult> {
    if (typeof opts.budget !== 'number' || !Number.isFinite(opts.budget) || opts.budget < 0) {
      throw new DatasetError(`the accuracy-drop budget must be a number of points ≥ 0 (e.g. 0.5), not ${typeof opts.budget === 'number' ? +(opts.budget * 100).toFixed(6) : String(opts.budget)}`);
    }
    const { model: base, name: baseName } = this.baseModel();
    const { choice, sensitivity } = await this.searching('An automatic mixed-precision search', async () => {
      const sensitivity = await this.sensitivityNow(opts, onProgress, signal);
      const { search, ds } = await this.calibrated(opts, onProgress, signal);
      const evaluate = (m: Model) => this.accuracyOf(m, ds, opts.samples, opts.preprocess, signal);
      const scores = sensitivity.rows.flatMap((r) => (r.int8 ? [{ layer: r.layer, accuracy: r.int8.accuracy, drop: r.int8.drop }] : []));
      const int8Choice = await search.choose(sensitivity.baseline, opts.budget, scores, evaluate, {
        signal, onStep: (done, total, label) => onProgress?.({ phase: 'search', stage: 'choose', done, total, label }),
      });
      // Layers the int8 plan refused stay fp32; the table shows every layer.
      const layers: Record<string, Precision> = Object.fromEntries(precisionLayers(base).map((l) => [l.name, int8Choice.layers[l.name] ?? 'fp32']));
      const choice = await this.upgradeToBinary(layers, { model: int8Choice.model, accuracy: int8Choice.accuracy }, sensitivity, opts, evaluate, onProgress, signal);
      return { choice: { ...choice, drop: sensitivity.baseline - choice.accuracy }, sensitivity };
    });
    const layers = choice.layers;
    const name = `${baseName.replace(/\.onnx$/i, '')}-auto-${precisionTag(layers)}.onnx`;
    const summary = await this.useModel(choice.model, name);
    this.variants.set(name, choice.model);
    return {
      ...summary, precisions: layers, studioFormat: usesStudioFormat(choice.model), baseline: sensitivity.baseline, accuracy: choice.accuracy,
      drop: choice.drop, budget: opts.budget, samples: opts.samples, sensitivity,
    };
  }

  /**
   * With binary sensitivities measured, moves int8 layers to binary, least sensitive first, while
   * the whole mix (calibrated anew, since binary layers change what later layers see) stays within
   * the budget. Layers whose binary drop alone exceeds the budget are not tried.
   */
  private async upgradeToBinary(layers: Record<string, Precision>, current: { model: Model; accuracy: number }, sensitivity: SensitivityResult,
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
      const { model } = await this.buildMix(trial, opts.recipe, opts.activationScale, opts.preprocess, undefined, signal);
      const accuracy = await evaluate(model);
      if (sensitivity.baseline - accuracy <= opts.budget + 1e-9) best = { layers: trial, model, accuracy };
    }
    return best;
  }

  private async sensitivityNow(opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<SensitivityResult> {
    const { model: base, name: baseName } = this.baseModel();
    const ds = this.evaluationData(opts.samples);
    const info = precisionLayers(base);
    const { search, key } = await this.calibrated(opts, onProgress, signal);
    const cacheKey = JSON.stringify([opts.samples, opts.binary, opts.activationScale]);
    const cached = this.search?.key === key ? this.search.sensitivity.get(cacheKey) : undefined;
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
    if (this.search?.key === key) this.search.sensitivity.set(cacheKey, result);
    return result;
  }

  /** The search calibrated for these settings: the cached one when nothing it depends on changed. */
  private async calibrated(opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<{ search: MixedPrecisionSearch; key: string; ds: LabelledDataset }> {
    const { model: base, name } = this.baseModel();
    const ds = this.evaluationData(opts.samples);
    const { layers: _l, defaultPrecision: _d, ...calibrationPart } = opts.recipe;
    const key = JSON.stringify([name, this.generation, calibrationPart, opts.preprocess]);
    if (this.search?.key === key) return { search: this.search.search, key, ds };
    const { ds: cal, recipe } = this.calibrationFor(opts.recipe);
    const search = new MixedPrecisionSearch(base, { ...recipe, layers: {}, defaultPrecision: 'int8' });
    if (!search.layers.length) {
      const why = precisionLayers(base).map((l) => `'${l.name}': ${l.int8}`).join('; ');
      throw new ModelError(`no layer of this model can be quantized to int8${why ? ` (${why})` : ' (it has no Conv or Gemm layers)'}`);
    }
    const input = this.inputOf(base);
    checkFits(cal, input.shape, input.name);
    if (recipe.activations !== 'dynamic') onProgress?.({ phase: 'search', stage: 'calibration', done: 0, total: recipe.samples });
    await search.calibrate(await this.device(), (s, n) => batchFor(cal, s, n, opts.preprocess, input.shape, input.name), signal,
      (done, total) => onProgress?.({ phase: 'search', stage: 'calibration', done, total }));
    this.search = { key, search, sensitivity: new Map() };
    return { search, key, ds };
  }

  /** Accuracy of a candidate model on the first `samples` items, in its own session (the current model is untouched). */
  private async accuracyOf(model: Model, ds: LabelledDataset, samples: number, preprocess: Preprocess, signal?: AbortSignal): Promise<number> {
    const session = new InferenceSession(await this.device(), model);
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

  /** Runs a search with loads and evaluations refused meanwhile (its sessions read the loaded model and data). */
  private async searching<T>(what: string, run: () => Promise<T>): Promise<T> {
    this.refuseWhileEvaluating(what.toLowerCase());
    this.busy = what;
    try {
      return await run();
    } finally {
      this.busy = null;
    }
  }

  private baseModel(): { model: Model; name: string } {
    const model = this.baseName ? this.variants.get(this.baseName) : null;
    if (!model || !this.baseName) throw new ModelError('No model is loaded: drop an .onnx file first.');
    return { model, name: this.baseName };
  }

  private inputOf(model: Model): { name: string; shape: readonly (number | string)[] } {
    const input = model.graph.inputs.find((i) => !model.graph.initializers[i.name]) ?? model.graph.inputs[0];
    if (!input) throw new ModelError('the model has no input');
    return input;
  }

  /** The first `samples` items, for evaluating candidates; refuses a count the dataset cannot give. */
  private evaluationData(samples: number): LabelledDataset {
    const ds = this.dataset;
    if (!ds) throw new DatasetError('No dataset is loaded: drop IDX image and label files first.');
    if (!Number.isInteger(samples) || samples < 1 || samples > ds.count) {
      throw new DatasetError(`evaluation samples must be a whole number from 1 to ${ds.count} (the dataset's size), not ${samples}`);
    }
    return ds;
  }

  /**
   * The last `recipe.samples` items, which static int8 calibrates on. A dynamic recipe reads none
   * (compress/ skips calibration for it); its count is only clamped so no check trips on it.
   */
  private calibrationFor(recipe: Int8Recipe): { ds: LabelledDataset; recipe: Int8Recipe } {
    const ds = this.dataset;
    if (!ds) throw new DatasetError('Calibration needs data: drop IDX image and label files first.');
    const n = recipe.samples;
    if (recipe.activations === 'dynamic') {
      const k = Math.min(Number.isInteger(n) && n > 0 ? n : 1, ds.count);
      return { ds: sliceDataset(ds, ds.count - k), recipe: { ...recipe, samples: k } };
    }
    if (!Number.isInteger(n) || n < 1) {
      throw new DatasetError(`static int8 calibration needs at least one sample, got ${n}: set the calibration samples to 1 or more (a few hundred is typical), or use dynamic activations, which need none`);
    }
    if (n > ds.count) throw new DatasetError(`calibration asks for ${n} samples but the dataset has ${ds.count}; use ${ds.count} or fewer`);
    return { ds: sliceDataset(ds, ds.count - n), recipe };
  }

  /** Makes an in-memory model (e.g. a quantized variant) the current one. */
  async useModel(model: Model, fileName: string): Promise<ModelSummary> {
    this.refuseWhileEvaluating(fileName);
    const ctx = await this.device();
    const session = new InferenceSession(ctx, model); // refuses unsupported ops before anything runs
    const summary = summarise(model, fileName, session);
    session.plan({ [session.input.name]: session.inputShapeFor(1) }); // shape errors surface now, not mid-evaluation
    this.session?.destroy();
    this.model = model;
    this.session = session;
    this.modelSummary = summary;
    return summary;
  }

  async loadDataset(images: Uint8Array, labels: Uint8Array, name: string, imagesName = 'images', labelsName = 'labels'): Promise<DatasetSummary> {
    this.refuseWhileEvaluating(name);
    const ds = datasetFromIdx(parseIdx(await maybeGunzip(images, imagesName), imagesName),
      parseIdx(await maybeGunzip(labels, labelsName), labelsName), name);
    // Refuse a dataset that cannot feed the loaded model now, not at Evaluate; the old one stays.
    if (this.session) checkFits(ds, this.session.input.shape, this.session.input.name);
    this.dataset = ds;
    this.generation++;
    this.search = null;
    return summariseDataset(ds);
  }

  get currentModel(): Model | null { return this.model; }

  /**
   * int8 post-training quantization of the current model, calibrated on the first
   * `recipe.samples` items of `calibration` (default: the loaded dataset). Returns the QDQ model;
   * the current model stays as it was.
   */
  async quantizeInt8(recipe: Int8Recipe, preprocess: Preprocess, calibration?: LabelledDataset,
    onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<Int8Result> {
    const session = await this.liveSession();
    const ds = calibration ?? this.dataset;
    if (!ds) throw new DatasetError('Calibration needs data: drop IDX image and label files first.');
    const input = session.input;
    checkFits(ds, input.shape, input.name);
    if (recipe.samples > ds.count) throw new DatasetError(`calibration asks for ${recipe.samples} samples but the dataset has ${ds.count}`);
    return quantizeInt8(session.ctx, this.model!, recipe, (s, n) => batchFor(ds, s, n, preprocess, input.shape, input.name), onProgress, signal);
  }

  private async liveSession(): Promise<InferenceSession> {
    if (!this.model) throw new ModelError('No model is loaded: drop an .onnx file first.');
    const ctx = await this.device();
    if (!this.session || this.session.ctx !== ctx) this.session = new InferenceSession(ctx, this.model);
    return this.session;
  }

  /** The running evaluation holds the model's GPU buffers; swapping the model under it would corrupt them. */
  private evaluating = false;
  /** A sensitivity analysis or search reads the loaded model and dataset between its awaits. */
  private busy: string | null = null;

  private refuseWhileEvaluating(what: string): void {
    if (this.evaluating) throw new ModelError(`An evaluation is running: cancel it or let it finish, then load ${what} again.`);
    if (this.busy) throw new ModelError(`${this.busy} is running: cancel it or let it finish, then try ${what} again.`);
  }

  async evaluate(opts: EvalOptions, onProgress?: (p: AccuracyProgress & { phase: 'accuracy' | 'latency' }) => void, signal?: AbortSignal): Promise<EvalResult> {
    this.refuseWhileEvaluating('another evaluation');
    this.evaluating = true;
    try {
      return await this.evaluateNow(opts, onProgress, signal);
    } finally {
      this.evaluating = false;
    }
  }

  private async evaluateNow(opts: EvalOptions, onProgress?: (p: AccuracyProgress & { phase: 'accuracy' | 'latency' }) => void, signal?: AbortSignal): Promise<EvalResult> {
    const session = await this.liveSession();
    const ds = this.dataset;
    if (!ds) throw new ModelError('No dataset is loaded: drop IDX image and label files first.');
    const input = session.input;
    const layout = checkFits(ds, input.shape, input.name);
    const total = Math.min(ds.count, opts.limit ?? ds.count);
    try {
      const acc = await evaluateAccuracy(session, (s, n) => batchFor(ds, s, n, opts.preprocess, input.shape, input.name),
        total, layout.batch ?? opts.batchSize, (p) => onProgress?.({ ...p, phase: 'accuracy' }), signal);
      const latency = [];
      for (const b of [1, 64]) {
        onProgress?.({ done: total, total, correct: acc.correct, phase: 'latency' });
        latency.push(await measureLatency(session, b, opts.latencyRuns, 3, signal));
      }
      const ctx = session.ctx;
      return {
        modelFile: this.modelSummary!.fileName, dataset: ds.name, accuracy: acc.accuracy, correct: acc.correct,
        samples: acc.samples, preprocess: opts.preprocess, evalMs: acc.ms, latency,
        sizeBytes: this.modelSummary!.sizeBytes, params: this.modelSummary!.params,
        device: describeAdapter(ctx), isFallback: ctx.info.isFallback, finishedAt: Date.now(),
      };
    } catch (e) {
      if (session.ctx.isLost || !this.ctx) throw new GpuError('The GPU device was lost during evaluation. A new device has been created and the model re-uploaded; press Evaluate to run again.');
      throw e;
    }
  }

  /** For tests of recovery: lose the device as a driver reset would. */
  async loseDeviceForTest(): Promise<void> {
    (await this.device()).device.destroy();
  }
}

export function describeAdapter(ctx: GpuContext): string {
  const i = ctx.info;
  return [i.vendor, i.architecture, i.description].filter(Boolean).join(' ') || 'unknown adapter';
}

export function summarise(model: Model, fileName: string, session: InferenceSession): ModelSummary {
  // Layers as the engine runs them (QDQ lowered to integer ops); size as the file stores it.
  const resolved = resolveGraph(session.runModel, { [session.input.name]: session.inputShapeFor(1) });
  const size = modelSize(model);
  const { steps } = fuseGraph(resolved, model.opset);
  const fusedInto = new Map<string, string>();
  for (const s of steps) for (const f of s.fused) fusedInto.set(f, s.node.name);
  const batchDim = session.input.shape[0];
  const stats = layerStats(session.runModel, resolved);
  const layers = stats.map((l) => ({
    ...l,
    shape: typeof batchDim === 'string' && l.outputShape.length ? [batchDim, ...l.outputShape.slice(1)] : l.outputShape,
    fusedInto: fusedInto.get(l.name) ?? null,
  }));
  return {
    fileName, producer: model.producer, opset: model.opset,
    inputs: model.graph.inputs, outputs: model.graph.outputs, layers,
    sizeBytes: size.totalBytes, bytesByDtype: size.byDtype, params: size.params,
    flops: stats.reduce((a, l) => a + l.flops, 0),
    dispatches: steps.filter((s) => !OPS[s.node.opType]?.alias).length,
  };
}

/** Items [start, count) of a dataset as a dataset of their own (views, no copies). */
export function sliceDataset(ds: LabelledDataset, start: number): LabelledDataset {
  const per = ds.itemShape.reduce((a, b) => a * b, 1);
  return {
    ...ds, name: `${ds.name} [${start}:]`, count: ds.count - start,
    images: ds.images.subarray(start * per) as LabelledDataset['images'],
    labels: ds.labels.subarray(start) as LabelledDataset['labels'],
  };
}

export function summariseDataset(ds: LabelledDataset): DatasetSummary {
  const counts: number[] = [];
  for (let i = 0; i < ds.count; i++) { const l = Number(ds.labels[i]); counts[l] = (counts[l] ?? 0) + 1; }
  const labelCounts = Array.from({ length: counts.length }, (_, i) => counts[i] ?? 0);
  return { name: ds.name, count: ds.count, itemShape: ds.itemShape, classes: labelCounts.length, labelCounts };
}
