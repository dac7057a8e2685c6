/**
 * The Train & distil job in the worker: keeps the training set the page sent, builds the student,
 * runs the trainer with pause / resume / cancel, and reports steps and epochs as progress events.
 * The runtime turns the trained student into a variant (runtime.trainVariant).
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { CancelledError, DatasetError, ModelError } from '../core/errors';
import { parseIdx, maybeGunzip } from '../data/idx';
import { datasetFromIdx, type LabelledDataset } from '../data/dataset';
import { deployFor, resolveStudent, trainableStudent, type Student } from '../train/students';
import type { VariantStore } from './variant-store';
import { parseSchedule } from '../train/schedule';
import { DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig, type TrainResult } from '../train/trainer';
import { zeroMasks } from '../compress/prune';
import type { Batching } from '../model/rebatch';
import type { TrainOptions, TrainProgress } from './types';

/** About this many points per run on the live charts: each one costs a read-back that stalls the GPU queue. */
const CHART_POINTS = 120;

export function reportEvery(totalSteps: number): number {
  return Math.max(1, Math.min(50, Math.ceil(totalSteps / CHART_POINTS)));
}

export interface TrainSources {
  device(): Promise<GpuContext>;
  /** The dataset loaded for evaluation: the test set, and the training set when `data` is 'loaded'. */
  dataset(): LabelledDataset | null;
  variants: VariantStore;
  /** How the loaded file is fed: a teacher fixed to another batch cannot be run at the training batch. */
  batching(): Batching | null;
}

export interface TrainRun {
  result: TrainResult;
  /** The trained model as it deploys (QAT students on the real int8 / XNOR layers). */
  deployed: Model;
  /** What the new variant is, what it was made from (the teacher, or the variant trained further) and the step. */
  kind: 'student' | 'int8' | 'binary';
  parent: string;
  step: string;
  totalSteps: number;
  seconds: number;
  testAccuracy: number | null;
}

export class TrainingJobs {
  private train: LabelledDataset | null = null;
  private running = false;
  private paused: { promise: Promise<void>; resolve: () => void } | null = null;

  constructor(private readonly src: TrainSources) {}

  /** Keeps a training set (IDX or IDX.gz pair) for later runs; the bundled MNIST one is sent once per page. */
  async loadTrainingData(images: Uint8Array, labels: Uint8Array, name: string, imagesName: string, labelsName: string): Promise<LabelledDataset> {
    const ds = datasetFromIdx(parseIdx(await maybeGunzip(images, imagesName), imagesName), parseIdx(await maybeGunzip(labels, labelsName), labelsName), name);
    this.train = ds;
    return ds;
  }

  get trainingData(): LabelledDataset | null { return this.train; }

  /** Holds the loop before its next step; the page hears 'paused' once the loop is actually waiting. */
  pause(): { paused: boolean } {
    if (!this.running) throw new ModelError('no training is running to pause');
    if (!this.paused) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      this.paused = { promise, resolve };
    }
    return { paused: true };
  }

  resume(): { paused: boolean } {
    this.paused?.resolve();
    this.paused = null;
    return { paused: false };
  }

  /** Checks and resolves everything the run needs (all refusals happen here, before GPU work). */
  private inputs(opts: TrainOptions) {
    const test = this.src.dataset();
    if (!test) throw new DatasetError('Training needs a test set to score each epoch: drop IDX image and label files first (the bundled MNIST test set loads at start).');
    const train = opts.data === 'loaded' ? test : this.train;
    if (!train) throw new DatasetError('the MNIST training set is not loaded yet: start again to fetch it, or choose the loaded dataset as training data');
    const whole = (v: number, what: string, min = 1) => {
      if (!(Number.isInteger(v) && v >= min)) throw new DatasetError(`${what} must be a whole number ≥ ${min} (got ${v})`);
    };
    whole(opts.trainSamples, 'training samples');
    whole(opts.testSamples, 'test samples');
    whole(opts.seed, 'the seed', 0);
    if (opts.teacher !== null) {
      if (!(opts.temperature > 0) || !Number.isFinite(opts.temperature)) throw new DatasetError(`the temperature T must be > 0 (got ${opts.temperature})`);
      if (!(opts.alpha >= 0 && opts.alpha <= 1)) throw new DatasetError(`α must be between 0 and 1 (got ${opts.alpha})`);
    }
    let schedule;
    try { schedule = parseSchedule(opts.schedule); } catch (e) { throw new DatasetError(e instanceof Error ? e.message : String(e)); }
    const store = this.src.variants;
    const teacher = opts.teacher === null ? null : store.model(opts.teacher) ?? null;
    if (opts.teacher !== null && !teacher) throw new ModelError(`there is no variant named '${opts.teacher}' to distil from`);
    const b = this.src.batching();
    if (teacher && b?.mode === 'fixed' && b.fileBatch !== opts.batch) {
      throw new ModelError(`the teacher ${b.note}, so it cannot score batches of ${opts.batch}; set the batch to ${b.fileBatch} or train on hard labels only`);
    }
    const student = resolveStudent(opts.student, {
      itemShape: train.itemShape, seed: opts.seed, teacher, namedWhat: 'variant in the Variants table',
      named: (name) => studentVariant(store, name),
    });
    const cfg: TrainConfig = {
      ...DEFAULT_TRAIN_CONFIG,
      epochs: opts.epochs, batch: opts.batch, lr: opts.lr, optimizer: opts.optimizer, schedule, seed: opts.seed,
      // SGD's usual momentum; Adam's β1 shares the field.
      momentum: 0.9,
      trainSamples: Math.min(opts.trainSamples, train.count), testSamples: Math.min(opts.testSamples, test.count),
      preprocess: opts.preprocess,
      loss: teacher ? { temperature: opts.temperature, alpha: opts.alpha } : { temperature: 1, alpha: 0 },
    };
    const totalSteps = Math.ceil(cfg.trainSamples! / cfg.batch) * cfg.epochs;
    cfg.reportEvery = reportEvery(totalSteps);
    return { train, test, teacher, student, cfg, totalSteps };
  }

  /**
   * Trains the student; a cancel before the first step is a CancelledError (nothing worth keeping),
   * a later one returns the weights so far, as does a diverged run (the last good ones).
   */
  async run(opts: TrainOptions, onProgress: (p: TrainProgress) => void, signal?: AbortSignal): Promise<TrainRun> {
    if (this.running) throw new ModelError('a training run is already going: cancel it or let it finish first');
    const { train, test, teacher, student, cfg, totalSteps } = this.inputs(opts);
    const ctx = await this.src.device();
    const deploy = deployFor(student);
    this.running = true;
    this.paused = null;
    const abortWait = () => this.paused?.resolve();
    signal?.addEventListener('abort', abortWait);
    const t0 = performance.now();
    let testAccuracy: number | null = null;
    try {
      onProgress({ phase: 'train', kind: 'status', status: 'preparing', totalSteps });
      // QAT students calibrate first: GPU work, so inside the run (one at a time, cancellable by the same finally).
      const trainable = await trainableStudent(ctx, student, train, cfg);
      // A pruned variant (or a student of one, or its int8 QAT: 0 quantizes to 0) keeps its pruned
      // weights at zero while it trains. XNOR has no zero weight to keep (a sign is ±1).
      const holds = student.qat !== 'binary' && this.src.variants.model(opts.student) && this.src.variants.descendsFrom(opts.student, 'pruned');
      const zeros = holds ? zeroMasks(student.model) : {};
      const result = await trainModel(ctx, trainable, train, test, cfg, teacher, {
        signal, deploy,
        masks: Object.keys(zeros).length ? { at: [0], masksFor: () => zeros } : undefined,
        onStep: (record, p) => onProgress({ phase: 'train', kind: 'step', record, ...p }),
        onEpoch: (record) => { testAccuracy = record.testAccuracy; onProgress({ phase: 'train', kind: 'epoch', record }); },
        waitIfPaused: async () => {
          const p = this.paused;
          if (!p || signal?.aborted) return;
          onProgress({ phase: 'train', kind: 'status', status: 'paused', totalSteps });
          await p.promise;
          if (!signal?.aborted) onProgress({ phase: 'train', kind: 'status', status: 'running', totalSteps });
        },
      });
      if (result.outcome === 'cancelled' && result.steps_done === 0) throw new CancelledError();
      const from = this.src.variants.model(opts.student) ? opts.student : opts.teacher ?? this.src.variants.base!;
      const how = opts.teacher ? `distilled from ${opts.teacher} (T ${opts.temperature}, α ${opts.alpha})` : 'trained on hard labels';
      return {
        result, deployed: deploy ? deploy(result.model) : result.model, kind: student.qat ?? 'student', parent: from,
        step: `${student.name}, ${how}, ${cfg.epochs} epoch${cfg.epochs === 1 ? '' : 's'}${result.outcome === 'finished' ? '' : ` (${result.outcome})`}`,
        totalSteps, seconds: (performance.now() - t0) / 1000, testAccuracy,
      };
    } finally {
      signal?.removeEventListener('abort', abortWait);
      this.running = false;
      this.paused = null;
    }
  }
}

/** 'lenet-mnist' + mlp:784-32-10 distilled at T 4, α 0.9 → 'lenet-mnist-student-mlp-784-32-10-distil-T4-a0.9.onnx'. */
export function studentName(base: string, opts: TrainOptions, outcome: TrainResult['outcome']): string {
  const stem = base.replace(/\.onnx$/i, '');
  // A variant trained further is named by what it adds to the loaded file's name.
  const spec = (opts.student.replace(/\.onnx$/i, '').replace(stem, '').replace(/^-(student-)?/, '') || 'self').replace(/[^a-z0-9.]+/gi, '-');
  const from = opts.teacher && opts.teacher !== base ? `-from-${opts.teacher.replace(/\.onnx$/i, '').replace(stem, '').replace(/^-/, '')}` : '';
  const how = opts.teacher ? `distil-T${opts.temperature}-a${opts.alpha}${from}` : 'hard';
  const tail = outcome === 'cancelled' ? '-partial' : outcome === 'diverged' ? '-diverged' : '';
  return `${stem}-student-${spec}-${how}${tail}.onnx`;
}

/**
 * A variant named as the student: a float one (the loaded file, a student) trains as it is; an int8
 * or binary one means its float parent trained quantisation-aware in that scheme.
 */
function studentVariant(store: VariantStore, name: string): { model: Model; qat?: Student['qat'] } | undefined {
  const kind = store.kind(name);
  if (!kind) return undefined;
  if (kind === 'mixed') throw new ModelError(`'${name}' mixes precisions per layer, which quantisation-aware training does not do yet: use its float parent, or the int8 or binary student`);
  const float = store.floatSource(name);
  return kind === 'int8' || kind === 'binary' ? { model: float.model, qat: kind } : { model: float.model };
}
