/**
 * The train and distill steps on the runtime (page and CLI alike): resolves the student (a spec,
 * the teacher at a smaller width, the teacher trained quantisation-aware, or a variant trained
 * further) and the teacher, refuses what cannot run before any GPU work, runs the trainer with
 * pause / resume / cancel through the job, and says what the new variant is made from.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { CancelledError, ModelError } from '../core/errors';
import { deployFor, resolveStudent, trainableStudent, type Student } from '../train/students';
import { parseSchedule } from '../train/schedule';
import { checkTrainingInputs, DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig, type TrainResult } from '../train/trainer';
import { zeroMasks } from '../compress/prune';
import type { DistillStep, TrainStep } from '../recipe/steps';
import type { Preprocess, Technique } from '../recipe/vocabulary';
import type { VariantStore } from './variant-store';
import type { ProjectData } from './datasets';
import type { JobHandle } from './jobs';
import type { TrainProgress } from './types';

/** About this many points per run on the live charts: each one costs a read-back that stalls the GPU queue. */
const CHART_POINTS = 120;

export function reportEvery(totalSteps: number): number {
  return Math.max(1, Math.min(50, Math.ceil(totalSteps / CHART_POINTS)));
}

export interface TrainSources {
  device(): Promise<GpuContext>;
  data: ProjectData;
  variants: VariantStore;
}

export interface TrainRun {
  result: TrainResult;
  /** The trained model as it deploys (QAT students on the real int8 / XNOR layers). */
  deployed: Model;
  technique: Technique;
  /** The variant it counts as made from (the variant trained further, or the teacher). */
  parentId: string;
  teacherId: string | null;
  /** Students are written with the symbolic batch they were trained at, not the loaded file's signature. */
  ownSignature: boolean;
  studentName: string;
  /** For width students: which channel groups got thinner, and which were kept whole and why. */
  width: Student['width'] | null;
  totalSteps: number;
  seconds: number;
  testAccuracy: number | null;
  trainSamples: number;
  testSamples: number;
}

/** Which variant id a step's teacher names, given the variant it starts from. */
export function teacherIdOf(step: DistillStep, inputId: string, store: VariantStore): string {
  if (step.teacher === 'input') return inputId;
  if (step.teacher === 'original') return store.root(inputId).id;
  if (step.teacher.startsWith('variant:')) return store.record(step.teacher.slice(8)).id;
  throw new ModelError(`the teacher '${step.teacher}' names a step of a recipe; run it as part of that recipe`);
}

/** Checks and resolves everything a run needs (all refusals happen here, before GPU work). */
async function inputs(src: TrainSources, step: TrainStep | DistillStep, inputId: string, preprocess: Preprocess) {
  const test = src.data.need('test', 'training (each epoch is scored on the test set)');
  const train = step.data === 'test' ? test : src.data.need('train', 'training');
  const store = src.variants;
  const teacherId = step.kind === 'distill' ? teacherIdOf(step, inputId, store) : null;
  const teacher = teacherId ? await store.model(teacherId) : null;
  if (teacherId) {
    const feed = await store.feed(teacherId);
    if (feed.batching.mode === 'fixed' && feed.batching.fileBatch !== null && feed.batching.fileBatch !== step.batch) {
      throw new ModelError(`the teacher ${feed.batching.note}, so it cannot score batches of ${step.batch}; set the batch to ${feed.batching.fileBatch} or train on hard labels only`);
    }
  }
  const studentSpec = step.student === 'input' ? `variant:${inputId}` : step.student;
  let student: Student;
  let studentVariant: string | null = null;
  if (studentSpec.startsWith('variant:')) {
    // A variant as the student: a float one trains as it is; an int8 or binary one means its float parent trained quantisation-aware.
    const rec = store.record(studentSpec.slice(8));
    if (rec.technique === 'mixed') throw new ModelError(`'${rec.name}' mixes precisions per layer, which quantisation-aware training does not do yet: use its float parent, or an int8 or binary student`);
    studentVariant = rec.id;
    const float = store.floatSource(rec.id);
    const qat = rec.technique === 'int8' || rec.technique === 'binary' ? rec.technique : undefined;
    student = { model: await store.model(float.id), name: rec.name, ...(qat ? { qat } : {}) };
  } else {
    student = resolveStudent(studentSpec, { itemShape: train.ds.itemShape, seed: step.seed, teacher });
  }
  const schedule = parseSchedule(step.schedule);
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: step.epochs, batch: step.batch, lr: step.lr, optimizer: step.optimizer, momentum: step.momentum, weightDecay: step.weightDecay,
    schedule, seed: step.seed,
    trainSamples: Math.min(step.trainSamples ?? train.ds.count, train.ds.count), testSamples: Math.min(step.testSamples ?? test.ds.count, test.ds.count),
    preprocess, ...(step.augment ? { augment: step.augment } : {}),
    loss: step.kind === 'distill' ? { temperature: step.temperature, alpha: step.alpha } : { temperature: 1, alpha: 0 },
  };
  checkTrainingInputs(student.model, train.ds, test.ds, teacher, cfg);
  const totalSteps = Math.ceil(cfg.trainSamples! / cfg.batch) * cfg.epochs;
  cfg.reportEvery = reportEvery(totalSteps);
  return { train: train.ds, test: test.ds, teacher, teacherId, student, studentVariant, cfg, totalSteps };
}

/** Everything the step can refuse, without GPU work (the CLI and recipes check before their first slow step). */
export async function checkTrainStep(src: TrainSources, step: TrainStep | DistillStep, inputId: string, preprocess: Preprocess): Promise<void> {
  await inputs(src, step, inputId, preprocess);
}

/**
 * Trains the student; a cancel before the first step is a CancelledError (nothing worth keeping),
 * a later one returns the weights so far, as does a diverged run (the last good ones).
 */
export async function runTraining(src: TrainSources, step: TrainStep | DistillStep, inputId: string, preprocess: Preprocess,
  job: JobHandle, onTrain: (p: TrainProgress) => void = () => {}): Promise<TrainRun> {
  const { train, test, teacher, teacherId, student, studentVariant, cfg, totalSteps } = await inputs(src, step, inputId, preprocess);
  const ctx = await src.device();
  const deploy = deployFor(student);
  const t0 = performance.now();
  let testAccuracy: number | null = null;
  const status = (s: 'preparing' | 'running' | 'paused') => {
    onTrain({ phase: 'train', kind: 'status', status: s, totalSteps });
    job.progress({ stage: s === 'paused' ? 'paused' : 'train', done: 0, total: totalSteps });
  };
  status('preparing');
  // QAT students calibrate first: GPU work, so inside the run (cancellable by the same signal).
  const trainable = await trainableStudent(ctx, student, train, cfg);
  // A pruned variant (or a student of one, or its int8 QAT: 0 quantizes to 0) keeps its pruned
  // weights at zero while it trains. XNOR has no zero weight to keep (a sign is ±1).
  const holds = student.qat !== 'binary' && studentVariant !== null && src.variants.descendsFrom(studentVariant, 'pruned');
  const zeros = holds ? zeroMasks(student.model) : {};
  job.setPausable(true);
  const result = await trainModel(ctx, trainable, train, test, cfg, teacher, {
    signal: job.signal, deploy,
    masks: Object.keys(zeros).length ? { at: [0], masksFor: () => zeros } : undefined,
    onStep: (record, p) => { onTrain({ phase: 'train', kind: 'step', record, ...p }); job.progress({ stage: 'train', done: p.step, total: p.totalSteps }); },
    onEpoch: (record) => { testAccuracy = record.testAccuracy; onTrain({ phase: 'train', kind: 'epoch', record }); },
    waitIfPaused: async () => {
      if (!job.pauseRequested || job.signal.aborted) return;
      status('paused');
      await job.waitIfPaused();
      if (!job.signal.aborted) status('running');
    },
  });
  job.setPausable(false);
  if (result.outcome === 'cancelled' && result.steps_done === 0) throw new CancelledError();
  // Cancel stopped training with the weights so far: they are kept, saved and evaluated like any variant.
  if (result.outcome === 'cancelled') job.keepAfterCancel();
  const parentId = studentVariant ?? teacherId ?? inputId;
  return {
    result, deployed: deploy ? deploy(result.model) : result.model,
    technique: student.qat ?? 'student', parentId, teacherId, ownSignature: true,
    studentName: student.name, width: student.width ?? null, totalSteps, seconds: (performance.now() - t0) / 1000, testAccuracy,
    trainSamples: cfg.trainSamples!, testSamples: cfg.testSamples!,
  };
}
