/**
 * The training loop on the GPU: the training set is uploaded once, each step sends only the
 * minibatch's indices (seeded shuffle), gathers and preprocesses the batch on the GPU, runs the
 * teacher (distillation) and the student's forward, loss, backward and optimizer in one command
 * buffer, and reads back only the per-row stats of the steps it reports. Deterministic for a seed
 * on one device: fixed dispatch order and no atomics.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { CancelledError, DatasetError, ModelError, StudioError } from '../core/errors';
import { makeRng } from '../core/rng';
import { sizeOf } from '../core/shape';
import { batchFor, checkFits, type LabelledDataset, type Preprocess } from '../data/dataset';
import { InferenceSession } from '../engine/session';
import { evaluateAccuracy } from '../engine/evaluate';
import { augmentWords, batchGather, imageGeometry, PAD_INDEX, uploadItems, type GatherAugment, type GpuItems } from '../kernels/batch-gather';
import { writeHyper } from '../kernels/optimizer';
import { findParameters, ParamStore } from './params';
import { STAT, trainableGraph, TrainingPlan, type LossSpec, type OptimizerKind } from './training-plan';
import { learningRate, type Schedule } from './schedule';
import { MaskHolder } from './mask-holder';

export interface TrainConfig {
  epochs: number;
  batch: number;
  lr: number;
  optimizer: OptimizerKind;
  /** SGD momentum, or Adam's β1. */
  momentum: number;
  beta2: number;
  weightDecay: number;
  schedule: Schedule;
  seed: number;
  /** Train on the first N items of the training set (all when undefined). */
  trainSamples?: number;
  /** Test items evaluated after each epoch (all when undefined). */
  testSamples?: number;
  preprocess: Preprocess;
  /** Image augmentations of the training items (each step's rows cropped and flipped at random; the teacher's scores stay those of the plain items). */
  augment?: { crop: number; flip: boolean };
  /** Distillation T and α (α is ignored without a teacher). */
  loss: LossSpec;
  /** Read the loss back every this many steps (the live chart's resolution). */
  reportEvery: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 3, batch: 64, lr: 1e-3, optimizer: 'adamw', momentum: 0.9, beta2: 0.999, weightDecay: 0,
  schedule: { kind: 'constant' }, seed: 1, preprocess: { kind: 'normalize', mean: 0.1307, std: 0.3081 },
  loss: { temperature: 4, alpha: 0.9 }, reportEvery: 20,
};

export interface StepRecord { step: number; epoch: number; loss: number; accuracy: number; agreement: number | null; lr: number }
export interface EpochRecord {
  epoch: number;
  /** Mean loss and accuracy over the steps read back in this epoch. */
  trainLoss: number;
  trainAccuracy: number;
  agreement: number | null;
  testAccuracy: number;
  lr: number;
  seconds: number;
  /** GPU bytes the context holds outside its pool at the epoch's end (flat from epoch to epoch). */
  gpuBytes: number;
}

export interface TrainHooks {
  onStep?(s: StepRecord, progress: { step: number; totalSteps: number; elapsedMs: number }): void;
  onEpoch?(e: EpochRecord): void;
  signal?: AbortSignal;
  /** What the trainer is doing between steps (e.g. the teacher scoring the training set). */
  onStatus?(message: string): void;
  /** Awaited between steps: resolves when the user resumes (pause holds the loop here). */
  waitIfPaused?(): Promise<void>;
  /** The model each epoch's test accuracy is measured on, from the trained one (QAT: train/qat.ts finishQat). */
  deploy?(trained: Model): Model;
  /** Pruning masks held during training (train/prune-job.ts). */
  masks?: MaskSchedule;
}

/**
 * At each step in `at` (before it runs; 0 = before the first) the hook gets the current weights and
 * returns the masks to hold from then on (weight name → 0/1 per element); after every optimizer step
 * the masked weights are set back to zero on the GPU.
 */
export interface MaskSchedule {
  at: readonly number[];
  masksFor(current: Model, step: number): Record<string, ArrayLike<number>> | Promise<Record<string, ArrayLike<number>>>;
}

export type TrainOutcome = 'finished' | 'cancelled' | 'diverged';

export interface TrainResult {
  /** The trained model (on 'diverged', the last good weights; on 'cancelled', the weights so far). */
  model: Model;
  outcome: TrainOutcome;
  /** Why training stopped early, in words. */
  message: string | null;
  steps: StepRecord[];
  epochs: EpochRecord[];
  steps_done: number;
  parameters: number;
  /** GPU bytes in use (not counting the buffer pool) before and after: equal when nothing leaked. */
  gpuBytes: { before: number; after: number };
}

/** Raised inside the loop when a step's loss is NaN or ±Inf. */
class Diverged extends StudioError {
  constructor(message: string) { super('model', message); }
}

/** Checks what a job can refuse before anything is compiled or uploaded. */
export function checkTrainingInputs(student: Model, train: LabelledDataset, test: LabelledDataset, teacher: Model | null, cfg: TrainConfig): void {
  const input = student.graph.inputs[0];
  if (!input || student.graph.inputs.length !== 1) throw new ModelError(`the student needs exactly one input; it has ${student.graph.inputs.length}`);
  checkFits(train, input.shape, input.name);
  checkFits(test, input.shape, input.name);
  if (!(cfg.epochs >= 1) || !Number.isInteger(cfg.epochs)) throw new DatasetError(`epochs must be a whole number ≥ 1 (got ${cfg.epochs})`);
  if (!(cfg.batch >= 1) || !Number.isInteger(cfg.batch)) throw new DatasetError(`batch must be a whole number ≥ 1 (got ${cfg.batch})`);
  if (!(cfg.lr > 0) || !Number.isFinite(cfg.lr)) throw new DatasetError(`the learning rate must be > 0 (got ${cfg.lr})`);
  const classes = numClasses(train);
  const outDims = student.graph.outputs[0]?.shape ?? [];
  const k = outDims.at(-1);
  if (typeof k === 'number' && k > 0 && classes > k) {
    throw new DatasetError(`the training labels hold ${classes} classes (0–${classes - 1}) but the student scores ${k}; give a student with ≥ ${classes} outputs or other labels`);
  }
  if (teacher) {
    const tk = teacher.graph.outputs[0]?.shape.at(-1);
    if (typeof tk === 'number' && typeof k === 'number' && tk > 0 && k > 0 && tk !== k) {
      throw new ModelError(`the teacher scores ${tk} classes but the student ${k}; distillation needs the same classes in both`);
    }
    const tin = teacher.graph.inputs[0];
    if (!tin) throw new ModelError('the teacher has no input');
    checkFits(train, tin.shape, tin.name);
  }
}

export function numClasses(ds: LabelledDataset): number {
  let max = -1;
  for (let i = 0; i < ds.count; i++) if (ds.labels[i]! > max) max = ds.labels[i]!;
  return max + 1;
}

/** Fisher–Yates with the studio's seeded generator: the same order for the same seed and epoch. */
export function shuffled(n: number, seed: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rng = makeRng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  return order;
}

const shapeFor = (model: Model, batch: number) => model.graph.inputs[0]!.shape.map((d, i) => (i === 0 ? batch : (d as number)));

/**
 * Trains `student` on `train` with hard labels, or distils from `teacher` (frozen: inference only,
 * on its own fused plan). Errors that can be known before the first step are thrown before any
 * GPU work; a step whose loss is not finite stops training and keeps the last good weights.
 */
export async function trainModel(
  ctx: GpuContext, student: Model, train: LabelledDataset, test: LabelledDataset, cfg: TrainConfig,
  teacherModel: Model | null = null, hooks: TrainHooks = {},
): Promise<TrainResult> {
  checkTrainingInputs(student, train, test, teacherModel, cfg);
  const before = ctx.inUseBytes;
  const result = await runTraining(ctx, student, train, test, cfg, teacherModel, hooks);
  return { ...result, gpuBytes: { before, after: ctx.inUseBytes } };
}

async function runTraining(
  ctx: GpuContext, student: Model, train: LabelledDataset, test: LabelledDataset, cfg: TrainConfig,
  teacherModel: Model | null, hooks: TrainHooks,
): Promise<Omit<TrainResult, 'gpuBytes'>> {
  const roles = findParameters(student);
  const params = new ParamStore(ctx, student, roles, cfg.optimizer === 'adamw' ? 2 : 1);
  let plan: TrainingPlan | null = null;
  let items: GpuItems | null = null;
  let teacherItems: GpuItems | null = null;
  let scratchLabels: GPUBuffer | null = null;
  let indexBuf: GPUBuffer | null = null;
  let augBuf: GPUBuffer | null = null;
  const gatherUniforms: GPUBuffer[] = [];
  const masks = hooks.masks ? new MaskHolder(ctx, params) : null;
  const maskSteps = new Set(hooks.masks?.at ?? []);
  try {
    const graph = trainableGraph(student, params);
    const B = cfg.batch;
    plan = new TrainingPlan(ctx, graph, params, {
      batch: B, inputShape: shapeFor(student, B), loss: cfg.loss, withTeacher: Boolean(teacherModel), optimizer: cfg.optimizer,
    });
    const n = Math.min(cfg.trainSamples ?? train.count, train.count);
    const size = sizeOf(train.itemShape);
    items = uploadItems(ctx, train.images.subarray(0, n * size) as LabelledDataset['images'], train.labels.subarray(0, n), size, 'train');
    indexBuf = ctx.acquire('train:indices', B * 4);
    // The teacher is frozen and the items are not augmented, so its scores for every training item
    // are computed once, kept on the GPU and gathered per step like the images: distillation then
    // costs a step what hard labels do.
    if (teacherModel) {
      hooks.onStatus?.(`the teacher scores the ${n} training items`);
      teacherItems = await teacherScores(ctx, teacherModel, items, indexBuf, B, cfg, plan.teacher!.shape[1]!);
    }
    const stepLabels = plan.labels;
    scratchLabels = teacherItems ? ctx.acquire('train:teacher-labels', B * 4) : null;
    const augmenting = cfg.augment && (cfg.augment.crop > 0 || cfg.augment.flip) ? cfg.augment : null;
    let augment: GatherAugment | undefined;
    if (augmenting) {
      const geometry = imageGeometry(train.itemShape, cfg.preprocess);
      if (!geometry) throw new DatasetError(`crop and flip augmentations need image items; these are ${train.itemShape.join('×')}`);
      augBuf = ctx.acquire('train:augment', B * 4);
      augment = { words: augBuf, ...geometry, pad: augmenting.crop };
    }
    const augRng = makeRng(cfg.seed * 7919 + 17);
    const gather = ctx.owningUniforms(() => [
      ...batchGather(ctx, items!, indexBuf!, plan!.x, stepLabels, cfg.preprocess, 'gather:student', augment),
      ...(teacherItems ? batchGather(ctx, teacherItems, indexBuf!, plan!.teacher!, { buffer: scratchLabels!, shape: [B] }, { kind: 'raw' }, 'gather:teacher') : []),
    ]);
    gatherUniforms.push(...gather.uniforms);

    const stepsPerEpoch = Math.ceil(n / B);
    const totalSteps = stepsPerEpoch * cfg.epochs;
    const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
    const t0 = performance.now();
    let step = 0;
    let outcome: TrainOutcome = 'finished', message: string | null = null;
    params.snapshot();
    const submitStep = () => {
      const enc = ctx.device.createCommandEncoder({ label: 'train-step' });
      const pass = enc.beginComputePass({ label: 'step' });
      for (const d of [...gather.result, ...plan!.forward, ...plan!.loss, ...plan!.backward, ...plan!.optimizer, ...(masks?.dispatches ?? [])]) {
        pass.setPipeline(d.pipeline); pass.setBindGroup(0, d.bindGroup); pass.dispatchWorkgroups(...d.workgroups);
      }
      pass.end();
      ctx.device.queue.submit([enc.finish()]);
    };

    try {
      for (let epoch = 0; epoch < cfg.epochs; epoch++) {
        const te = performance.now();
        const order = shuffled(n, cfg.seed * 1000 + epoch);
        const read: StepRecord[] = [];
        let lr = cfg.lr;
        for (let s = 0; s < stepsPerEpoch; s++) {
          if (hooks.signal?.aborted) throw new CancelledError();
          await hooks.waitIfPaused?.();
          if (hooks.signal?.aborted) throw new CancelledError();
          if (masks && maskSteps.has(step)) {
            await masks.update(await hooks.masks!.masksFor(await params.writeBack(), step));
            params.snapshot();
          }
          const idx = new Uint32Array(B).fill(PAD_INDEX);
          idx.set(order.subarray(s * B, Math.min(n, (s + 1) * B)));
          ctx.device.queue.writeBuffer(indexBuf, 0, idx);
          if (augBuf) ctx.device.queue.writeBuffer(augBuf, 0, augmentWords(B, augmenting!.crop, augmenting!.flip, augRng));
          lr = learningRate(cfg.schedule, cfg.lr, step, totalSteps);
          const hyper = { lr, momentum: cfg.momentum, beta1: cfg.momentum, beta2: cfg.beta2, eps: 1e-8, step: step + 1, decoupled: cfg.optimizer === 'adamw' };
          writeHyper(ctx, plan.hyperDecay, { ...hyper, weightDecay: cfg.weightDecay });
          writeHyper(ctx, plan.hyperNoDecay, { ...hyper, weightDecay: 0 });
          // The first step runs under validation scopes: a kernel the device rejects is an error
          // with its message, not silently wrong numbers.
          if (step === 0) await ctx.checked('the first training step', submitStep);
          else submitStep();
          step++;
          if (step % cfg.reportEvery === 0 || s === stepsPerEpoch - 1) {
            const rec = await readStats(ctx, plan, Math.min(B, n - s * B), step, epoch, lr, Boolean(teacherItems));
            if (!rec.finite) throw new Diverged(await divergence(ctx, plan, params, step, epoch));
            params.snapshot();
            read.push(rec.record);
            steps.push(rec.record);
            hooks.onStep?.(rec.record, { step, totalSteps, elapsedMs: performance.now() - t0 });
          }
        }
        const trained = await params.writeBack();
        const evalModel = hooks.deploy ? hooks.deploy(trained) : trained;
        const testAccuracy = await testAccuracyOf(ctx, evalModel, test, cfg);
        const mean = (k: 'loss' | 'accuracy') => read.reduce((a, r) => a + r[k], 0) / Math.max(1, read.length);
        const rec: EpochRecord = {
          epoch: epoch + 1, trainLoss: mean('loss'), trainAccuracy: mean('accuracy'),
          agreement: teacherItems ? read.reduce((a, r) => a + (r.agreement ?? 0), 0) / Math.max(1, read.length) : null,
          testAccuracy, lr, seconds: (performance.now() - te) / 1000, gpuBytes: ctx.inUseBytes,
        };
        epochs.push(rec);
        hooks.onEpoch?.(rec);
      }
    } catch (e) {
      if (e instanceof CancelledError) { outcome = 'cancelled'; message = `cancelled at step ${step} of ${totalSteps}; the weights so far are kept`; }
      else if (e instanceof Diverged) { outcome = 'diverged'; message = e.message; params.restore(); }
      else throw e;
    }
    const model = await params.writeBack();
    return { model, outcome, message, steps, epochs, steps_done: step, parameters: params.count };
  } finally {
    masks?.destroy();
    plan?.destroy();
    if (teacherItems) ctx.destroyBuffer(teacherItems.data); // its classes buffer is the training items'
    if (scratchLabels) ctx.release(scratchLabels);
    if (items) { ctx.destroyBuffer(items.data); ctx.destroyBuffer(items.classes); }
    if (indexBuf) ctx.release(indexBuf);
    if (augBuf) ctx.release(augBuf);
    for (const u of gatherUniforms) ctx.destroyBuffer(u);
    params.destroy();
  }
}

/**
 * The teacher's scores for training items 0..n-1, as a GPU item set of K floats each: its own fused
 * inference plan at batch B, fed by the same GPU gather as the student, copied out batch by batch.
 */
async function teacherScores(ctx: GpuContext, model: Model, items: GpuItems, indexBuf: GPUBuffer, B: number, cfg: TrainConfig, K: number): Promise<GpuItems> {
  const session = new InferenceSession(ctx, model);
  const labels = ctx.acquire('teacher:labels', B * 4);
  const out = ctx.acquire('teacher:scores', items.count * K * 4);
  try {
    const plan = session.plan({ [session.input.name]: shapeFor(model, B) });
    const scores = plan.outputTensor(0);
    if (sizeOf(scores.shape) !== B * K) throw new ModelError(`the teacher's scores have shape [${scores.shape}]; the student's are [${B}, ${K}]`);
    const gather = ctx.owningUniforms(() => batchGather(ctx, items, indexBuf, plan.inputTensor(session.input.name), { buffer: labels, shape: [B] }, cfg.preprocess, 'gather:teacher-input'));
    try {
      await ctx.checked('the teacher\'s pass over the training items', async () => {
        for (let start = 0; start < items.count; start += B) {
          const rows = Math.min(B, items.count - start);
          const idx = new Uint32Array(B).fill(PAD_INDEX);
          for (let r = 0; r < rows; r++) idx[r] = start + r;
          ctx.device.queue.writeBuffer(indexBuf, 0, idx);
          const enc = ctx.device.createCommandEncoder({ label: 'teacher-scores' });
          const pass = enc.beginComputePass({ label: 'teacher' });
          for (const d of [...gather.result, ...plan.dispatches]) { pass.setPipeline(d.pipeline); pass.setBindGroup(0, d.bindGroup); pass.dispatchWorkgroups(...d.workgroups); }
          pass.end();
          enc.copyBufferToBuffer(scores.buffer, 0, out, start * K * 4, rows * K * 4);
          ctx.device.queue.submit([enc.finish()]);
          if ((start / B) % 16 === 15) await ctx.device.queue.onSubmittedWorkDone(); // keep the queue short
        }
        await ctx.device.queue.onSubmittedWorkDone();
      });
    } finally {
      for (const u of gather.uniforms) ctx.destroyBuffer(u);
    }
    return { data: out, classes: items.classes, count: items.count, itemSize: K, u8: false };
  } catch (e) {
    ctx.destroyBuffer(out);
    throw e;
  } finally {
    ctx.release(labels);
    session.destroy();
  }
}

/** The reported step's mean loss, accuracy and agreement over its `rows` real items (padding rows come last). */
async function readStats(ctx: GpuContext, plan: TrainingPlan, rows: number, step: number, epoch: number, lr: number, distilling: boolean) {
  const s = await ctx.readF32(plan.stats.buffer, rows * 4);
  let loss = 0, correct = 0, agree = 0, finite = true;
  for (let b = 0; b < rows; b++) {
    loss += s[b * 4 + STAT.loss]!;
    correct += s[b * 4 + STAT.correct]!;
    agree += s[b * 4 + STAT.agree]!;
    if (s[b * 4 + STAT.finite] !== 1 || !Number.isFinite(s[b * 4 + STAT.loss]!)) finite = false;
  }
  const record: StepRecord = {
    step, epoch: epoch + 1, loss: loss / rows, accuracy: correct / rows, agreement: distilling ? agree / rows : null, lr,
  };
  return { record, finite };
}

/** Says where a non-finite loss came from: the first parameter, in graph order, whose gradient is not finite. */
async function divergence(ctx: GpuContext, plan: TrainingPlan, params: ParamStore, step: number, epoch: number): Promise<string> {
  let where = 'the loss itself (the scores were finite; check the learning rate)';
  for (const name of plan.trainedNames) {
    const g = await ctx.readF32(plan.grads.get(name)!.buffer, sizeOf(plan.grads.get(name)!.shape));
    if (!g.every(Number.isFinite)) {
      const node = params.model.graph.nodes.find((nd) => nd.inputs.includes(name));
      where = `the gradient of '${name}'${node ? ` (layer '${node.name}', ${node.opType})` : ''}`;
      break;
    }
  }
  return `the loss became NaN or infinite at step ${step} (epoch ${epoch + 1}); the first non-finite value found is in ${where}. ` +
    'Training stopped and the last good weights (from the last reported step) are kept; try a lower learning rate.';
}

/** Accuracy of `model` on the first `cfg.testSamples` test items (all when unset), with the training preprocessing. */
export async function testAccuracyOf(ctx: GpuContext, model: Model, test: LabelledDataset, cfg: Pick<TrainConfig, 'testSamples' | 'preprocess'>): Promise<number> {
  const session = new InferenceSession(ctx, model);
  try {
    const shape = model.graph.inputs[0]!.shape;
    const n = Math.min(cfg.testSamples ?? test.count, test.count);
    const r = await evaluateAccuracy(session, (a, k) => batchFor(test, a, k, cfg.preprocess, shape, session.input.name), n, 256);
    return r.accuracy;
  } finally {
    session.destroy();
  }
}
