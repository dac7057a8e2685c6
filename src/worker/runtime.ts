/**
 * The studio's working core, shared by the Web Worker (page) and the CLI: owns the GPU context,
 * the loaded model and dataset, and runs evaluations. When the device is lost it makes a new one
 * and re-uploads the model, so nothing the user loaded is lost.
 */
import { createGpuContext } from '../gpu/adapter';
import type { GpuContext, DeviceLostInfo } from '../gpu/context';
import { DatasetError, GpuError, ModelError } from '../core/errors';
import { quantizeInt8, type Int8Result } from '../compress/int8';
import type { Int8Recipe, Precision } from '../compress/quantize-plan';
import { applyBinary, planBinary, type BinaryRecipe } from '../compress/binarize';
import { binaryLayerWeights, precisionLayers, precisionTag, usesStudioFormat, type PrecisionLayer } from '../compress/mixed-precision';
import { calibrationFor, checkInt8Inputs, MixedPrecisionRuns } from './mixed-search';
import { studentName, TrainingJobs } from './train-job';
import { describeAdapter, summarise, summariseDataset } from './summaries';
import { VariantStore, type MadeBy } from './variant-store';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import { histogram, layerWeights, type Histogram } from '../compress/histogram';
import type { Model } from '../model/ir';
import { dynamicBatching, withSignature, type Batching } from '../model/rebatch';
import { chooseBatching } from '../engine/rebatch-probe';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy, measureLatency, type AccuracyProgress, type LatencySkipped } from '../engine/evaluate';
import { parseIdx, maybeGunzip } from '../data/idx';
import { datasetFromIdx, batchFor, checkFits, type LabelledDataset, type Preprocess } from '../data/dataset';
import type {
  AutoOptions, AutoResult, DatasetSummary, DeviceSummary, EvalOptions, EvalResult, MixedResult, ModelSummary,
  SearchProgress, SensitivityOptions, SensitivityResult, TrainJobResult, TrainOptions, TrainProgress,
  PruneJobResult, PruneLayer, PruneOptions, PruneProgress, PruneSensitivityOptions, PruneSensitivityResult, SparsityPicture,
} from './types';
import { previewPicture, pruneLayerList, runPruneJob, runPruneSensitivity } from './pruning';
import { weightPicture, type PruneSpec } from '../compress/prune';

/** Each batch size's latency stops after this much measuring, so a large model answers in minutes on a software adapter. */
export const DEFAULT_LATENCY_BUDGET_MS = 10_000;

export class StudioRuntime {
  private ctx: GpuContext | null = null;
  private model: Model | null = null;
  /** The loaded file and the variants made from it, by name, with their lineage; `model` is one of them. */
  private readonly variants = new VariantStore();
  /** How the loaded file is fed (re-batched, or at its own batch), and its own input/output signature for export. */
  private batching: Batching | null = null;
  private fileSignature: Pick<Model['graph'], 'inputs' | 'outputs'> | null = null;
  private modelSummary: ModelSummary | null = null;
  private session: InferenceSession | null = null;
  private dataset: LabelledDataset | null = null;
  /** Mixed-precision builds and searches over the loaded file and data (worker/mixed-search.ts). */
  private readonly mixed = new MixedPrecisionRuns({ base: () => this.baseModel(), dataset: () => this.dataset, device: () => this.device() });
  /** Training runs (worker/train-job.ts); the students they make are variants of the loaded file. */
  private readonly training = new TrainingJobs({
    device: () => this.device(), dataset: () => this.dataset, variants: this.variants, batching: () => this.batching,
  });
  /** What the Prune card's jobs read (worker/pruning.ts). */
  private readonly pruneSources = { device: () => this.device(), dataset: () => this.dataset, trainingData: () => this.training.trainingData };
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
    const file = importOnnx(bytes, fileName);
    // A fixed batch is made symbolic where that is shown safe; every job then works on the re-batched graph.
    const { model, batching, session } = await chooseBatching(await this.device(), file);
    const summary = await this.useModel(model, fileName, batching, session);
    this.batching = batching;
    this.fileSignature = { inputs: file.graph.inputs, outputs: file.graph.outputs };
    this.variants.reset(fileName, model);
    this.mixed.reset();
    return { ...summary, lineage: this.variants.lineage(fileName) };
  }

  /** Switches to a variant made earlier (the loaded file or a compressed copy of it). */
  async selectVariant(name: string): Promise<ModelSummary> {
    const model = this.variants.model(name);
    if (!model) throw new ModelError(`there is no variant named '${name}'`);
    return { ...await this.useModel(model, name, this.batchingOf(name, model)), lineage: this.variants.lineage(name) };
  }

  /**
   * A variant as an ONNX file (int8 variants in the standard QDQ form), with the loaded file's own
   * input signature unless `dynamicBatch` asks for the symbolic batch the studio ran it with.
   */
  exportVariant(name: string, opts: { dynamicBatch?: boolean } = {}): Uint8Array {
    const model = this.variants.model(name);
    if (!model) throw new ModelError(`there is no variant named '${name}'`);
    // A student was built with a symbolic batch; the loaded file's signature does not describe it.
    if (this.variants.ownSignature(name)) return exportOnnx(model);
    return this.exportModel(model, opts);
  }

  /** Any model made from the loaded file, as exportVariant writes it. */
  exportModel(model: Model, opts: { dynamicBatch?: boolean } = {}): Uint8Array {
    const b = this.batching;
    if (opts.dynamicBatch && b?.mode === 'fixed') {
      throw new ModelError(`this model cannot take a dynamic batch (it ${b.note}); export it without the dynamic-batch option`);
    }
    if (b?.mode === 'rebatched' && !opts.dynamicBatch && this.fileSignature) return exportOnnx(withSignature(model, this.fileSignature));
    return exportOnnx(model);
  }

  /** Histogram of one layer's weights in the loaded file and in the current variant. */
  weightHistogram(layer: string): Histogram {
    const baseName = this.variants.base;
    const base = baseName ? this.variants.model(baseName) : null;
    const named: { name: string; values: Float32Array }[] = [];
    for (const [name, model] of [[baseName, base], [this.modelSummary?.fileName, this.model]] as const) {
      const values = model ? layerWeights(model, layer) ?? binaryLayerWeights(model, layer) : null;
      if (values && name && !named.some((n) => n.name === name)) named.push({ name, values });
    }
    if (!named.length) throw new ModelError(`layer '${layer}' has no weights to show`);
    return histogram(named);
  }

  /**
   * Quantizes the current variant's float model (the loaded file, or a trained student) to int8 and
   * selects the new variant. Calibration uses the last `recipe.samples` items of the loaded dataset,
   * so it overlaps the evaluation set only there.
   */
  async quantizeVariant(recipe: Int8Recipe, preprocess: Preprocess, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<ModelSummary & { quantized: string[]; skipped: { node: string; reason: string }[] }> {
    const source = this.source();
    this.refuseWhileEvaluating('quantizing'); // before calibration, which would otherwise run beside a training job
    const cal = calibrationFor(this.dataset, recipe); // refuses bad counts before anything changes
    if (this.model !== source.model) await this.useModel(source.model, source.name, this.batchingOf(source.name, source.model));
    const q = await this.quantizeInt8(cal.recipe, preprocess, cal.ds, onProgress, signal);
    const how = `${recipe.perChannel ? 'pc' : 'pt'}-${recipe.activations === 'dynamic' ? 'dynamic' : recipe.calibration}`;
    const summary = await this.keep(`${stem(source.name)}-int8-${how}.onnx`, q.model, 'int8', source.name, `int8 (${how})`);
    return { ...summary, quantized: q.plan.layers.map((l) => l.node.name), skipped: q.plan.skipped };
  }

  /** Binarizes (XNOR-Net) the current variant's float model's Conv/Gemm layers and selects the new variant; needs no data. */
  async binarizeVariant(recipe: BinaryRecipe): Promise<ModelSummary & { binarized: string[]; kept: { node: string; reason: string }[] }> {
    const source = this.source();
    const plan = planBinary(source.model, recipe);
    if (!plan.layers.length) throw new ModelError(`no layer of this model can be binarized (${plan.kept.map((k) => `'${k.node}': ${k.reason}`).join('; ') || 'it has no Conv or Gemm layers'})`);
    const model = applyBinary(source.model, plan, recipe);
    const how = `${recipe.keepFirstLast ? 'kfl' : 'all'}${recipe.activationScale ? '-beta' : ''}`;
    const summary = await this.keep(`${stem(source.name)}-binary-${how}.onnx`, model, 'binary', source.name, `binary (${how})`);
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
    this.refuseWhileEvaluating('building a mix');
    const { plan, model } = await this.mixed.buildMix(choices, recipe, activationScale, preprocess, onProgress, signal);
    const tag = precisionTag(plan.layers);
    const summary = await this.keep(`${stem(baseName)}-mixed-${tag}.onnx`, model, 'mixed', baseName, `mixed (${tag})`);
    return { ...summary, precisions: plan.layers, studioFormat: usesStudioFormat(model) };
  }

  /**
   * How much accuracy each layer costs alone: int8 (every candidate shares one calibration) and,
   * when asked, binary. Evaluated on the first `samples` items; the float baseline on the same.
   */
  async sensitivity(opts: SensitivityOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<SensitivityResult> {
    return this.searching('A sensitivity analysis', () => this.mixed.sensitivity(opts, onProgress, signal));
  }

  /**
   * The smallest mix whose accuracy drop on the first `samples` items stays within `budget`:
   * int8/fp32 by MixedPrecisionSearch.choose (reusing the calibration and sensitivities measured
   * before with the same settings), then, where binary sensitivities were measured, int8 layers
   * moved to binary while the mix still fits. The chosen model becomes a variant and the current model.
   */
  async autoVariant(opts: AutoOptions, onProgress?: (p: SearchProgress) => void, signal?: AbortSignal): Promise<AutoResult> {
    this.checkSearch(opts);
    const { name: baseName } = this.baseModel();
    const choice = await this.searching('An automatic mixed-precision search', () => this.mixed.auto(opts, onProgress, signal));
    const { layers, sensitivity } = choice;
    const tag = precisionTag(layers);
    const summary = await this.keep(`${stem(baseName)}-auto-${tag}.onnx`, choice.model, 'mixed', baseName, `auto mixed (${tag}, budget ${+(opts.budget * 100).toFixed(2)} points)`);
    return {
      ...summary, precisions: layers, studioFormat: usesStudioFormat(choice.model), baseline: sensitivity.baseline, accuracy: choice.accuracy,
      drop: choice.drop, budget: opts.budget, samples: opts.samples, sensitivity,
    };
  }

  /** Keeps a training set (IDX or IDX.gz images + labels) for Train & distil; the loaded (test) dataset is untouched. */
  async loadTrainingData(images: Uint8Array, labels: Uint8Array, name: string, imagesName = 'images', labelsName = 'labels'): Promise<DatasetSummary> {
    return summariseDataset(await this.training.loadTrainingData(images, labels, name, imagesName, labelsName));
  }

  /**
   * Trains a built-in student on hard labels or distils it from a variant, scoring each epoch on the
   * loaded dataset; loads and evaluations are refused meanwhile. The student (finished, or the
   * weights so far when cancelled or diverged) becomes a variant and the current model.
   */
  async trainVariant(opts: TrainOptions, onProgress: (p: TrainProgress) => void = () => {}, signal?: AbortSignal): Promise<TrainJobResult> {
    const { name: baseName } = this.baseModel();
    const run = await this.searching('Training', () => this.training.run(opts, onProgress, signal));
    const { result, deployed } = run;
    const name = studentName(baseName, opts, result.outcome);
    const summary = await this.keep(name, deployed, run.kind, run.parent, run.step, true);
    return {
      ...summary, studioFormat: usesStudioFormat(deployed), madeBy: run.kind, message: result.message, stepsDone: result.steps_done, totalSteps: run.totalSteps, parameters: result.parameters, seconds: run.seconds,
      trained: {
        student: opts.student, teacher: opts.teacher, temperature: opts.temperature, alpha: opts.alpha, epochs: opts.epochs,
        samples: Math.min(opts.trainSamples, (opts.data === 'loaded' ? this.dataset : this.training.trainingData)?.count ?? opts.trainSamples),
        outcome: result.outcome, testAccuracy: run.testAccuracy,
      },
    };
  }

  /** The current variant's float model's prunable layers (and filter groups kept whole, with why). */
  pruneLayers(): PruneLayer[] { return pruneLayerList(this.source().model); }

  /** A layer's weights with the pattern the spec would remove (nothing changes). */
  sparsityPicture(layer: string, spec: PruneSpec | null): SparsityPicture {
    const { model } = this.source();
    return spec ? previewPicture(model, layer, spec) : weightPicture(model, layer);
  }

  /**
   * Prunes the current variant's float model (fine-tuned on the training set when asked); the result
   * becomes a variant and the current model. Cancel keeps what there was.
   */
  async pruneVariant(opts: PruneOptions, onProgress: (p: PruneProgress) => void = () => {}, signal?: AbortSignal): Promise<PruneJobResult> {
    const source = this.source();
    const t0 = performance.now();
    const { info, model } = await this.searching('Pruning', () => runPruneJob(this.pruneSources, source.model, opts, onProgress, signal));
    const amount = opts.granularity === '2:4' ? '2of4' : `${Math.round(opts.sparsity * 1000) / 10}`;
    const name = `${stem(source.name)}-pruned-${opts.granularity === '2:4' ? '' : `${opts.granularity}-`}${amount}-${opts.criterion}${opts.finetuneEpochs ? `-ft${opts.finetuneEpochs}${opts.distill ? 'd' : ''}` : ''}.onnx`;
    const step = `pruned ${opts.granularity} ${opts.granularity === '2:4' ? '' : `${(100 * info.sparsity).toFixed(1)} % `}by ${opts.criterion}, ${opts.schedule}` +
      `${opts.finetuneEpochs ? `, ${opts.finetuneEpochs} fine-tuning epoch${opts.finetuneEpochs > 1 ? 's' : ''}${opts.distill ? ' (distilled)' : ''}` : ''}`;
    const summary = await this.keep(name, model, 'pruned', source.name, step);
    return { ...summary, pruned: info, seconds: (performance.now() - t0) / 1000 };
  }

  /** Accuracy with each layer of the current float model pruned alone, at each level; cancellable. */
  async pruneSensitivity(opts: PruneSensitivityOptions, onProgress: (p: PruneProgress) => void = () => {}, signal?: AbortSignal): Promise<PruneSensitivityResult> {
    const source = this.source();
    return this.searching('Sensitivity', () => runPruneSensitivity(this.pruneSources, source.name, source.model, opts, onProgress, signal));
  }

  pauseTraining(): { paused: boolean } { return this.training.pause(); }
  resumeTraining(): { paused: boolean } { return this.training.resume(); }

  /** Refuses a sensitivity run or an automatic search (bad counts, data that does not fit, nothing to quantize) before any slow work. */
  checkSearch(opts: SensitivityOptions | AutoOptions): void {
    if ('budget' in opts && (typeof opts.budget !== 'number' || !Number.isFinite(opts.budget) || opts.budget < 0)) {
      throw new DatasetError(`the accuracy-drop budget must be a number of points ≥ 0 (e.g. 0.5), not ${typeof opts.budget === 'number' ? +(opts.budget * 100).toFixed(6) : String(opts.budget)}`);
    }
    this.mixed.check(opts);
  }

  /** Refuses int8 quantization (no data, bad counts, data that does not fit, nothing to quantize) before any slow work. */
  checkQuantize(recipe: Int8Recipe, calibration?: LabelledDataset): void {
    checkInt8Inputs(this.source().model, recipe, recipe.activations === 'dynamic' ? null : calibration ?? calibrationFor(this.dataset, recipe).ds);
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
    const name = this.variants.base;
    const model = name ? this.variants.model(name) : null;
    if (!model || !name) throw new ModelError('No model is loaded: drop an .onnx file first.');
    return { model, name };
  }

  /** What int8 and binary start from: the current variant's float model (the loaded file, or a student). */
  private source(): { model: Model; name: string } {
    const base = this.baseModel();
    const current = this.modelSummary?.fileName;
    return current && this.variants.model(current) ? this.variants.floatSource(current) : base;
  }

  /** Variants with their own signature run at a dynamic batch; the rest as the loaded file is fed. */
  private batchingOf(name: string, model: Model): Batching | null {
    return this.variants.ownSignature(name) ? dynamicBatching(model) : this.batching;
  }

  /** Makes a new variant the current model (refused before it is kept) and records what made it. */
  private async keep(name: string, model: Model, kind: MadeBy, parent: string, step: string, ownSignature = false): Promise<ModelSummary> {
    const own = ownSignature || this.variants.ownSignature(parent);
    const summary = await this.useModel(model, name, own ? dynamicBatching(model) : this.batching);
    this.variants.add(name, model, kind, parent, step, own);
    return { ...summary, lineage: this.variants.lineage(name) };
  }

  /** Makes an in-memory model (e.g. a quantized variant) the current one. */
  async useModel(model: Model, fileName: string, batching = this.batching, ready?: InferenceSession): Promise<ModelSummary> {
    this.refuseWhileEvaluating(fileName);
    const ctx = await this.device();
    // refuses unsupported ops before anything runs; `ready` is a session already made on this model (the re-batching probe's)
    const session = ready && ready.ctx === ctx && ready.model === model ? ready : new InferenceSession(ctx, model);
    if (ready && ready !== session) ready.destroy();
    const summary = { ...summarise(model, fileName, session), batching };
    session.plan({ [session.input.name]: session.inputShapeFor(session.fixedBatch ?? 1) }); // shape errors surface now, not mid-evaluation
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
    this.mixed.reset();
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
      const latency = [], latencySkipped: LatencySkipped[] = [];
      // An input without a batch dim runs one item as the whole input; a fixed batch runs only at that batch.
      const fixed = layout.unbatched ? 1 : session.fixedBatch;
      const budget = { runs: opts.latencyRuns, budgetMs: opts.latencyBudgetMs ?? DEFAULT_LATENCY_BUDGET_MS, signal };
      for (const b of fixed === null ? [1, 64] : [fixed]) {
        onProgress?.({ done: total, total, correct: acc.correct, phase: 'latency' });
        latency.push(await measureLatency(session, b, { ...budget, shape: layout.unbatched ? layout.itemDims : undefined }));
      }
      if (fixed !== null) {
        const why = layout.unbatched ? `takes one item at a time: its input ${JSON.stringify(layout.itemDims)} has no batch dim`
          : this.batching?.mode === 'fixed' ? this.batching.note : `fixes its batch to ${fixed}`;
        for (const b of [1, 64].filter((b) => b !== fixed)) latencySkipped.push({ batch: b, reason: why });
      }
      const ctx = session.ctx;
      return {
        modelFile: this.modelSummary!.fileName, dataset: ds.name, accuracy: acc.accuracy, correct: acc.correct,
        samples: acc.samples, preprocess: opts.preprocess, evalMs: acc.ms, latency, latencySkipped,
        batching: this.modelSummary!.batching?.note ?? null,
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

const stem = (fileName: string) => fileName.replace(/\.onnx$/i, '');