/**
 * The Train & distil card's state and actions: its inputs (kept as typed, so a bad value is shown,
 * not lost), the running job, the live series of the current run and a list of finished runs.
 * Its own store: the live series change many times a second and only this card reads them.
 */
import { create } from 'zustand';
import { busyReason, useStudio, pushNotice } from './store';
import { absolute, applyStep, cancelJob, pauseJob, report, studioClient } from './link';
import { madeFromTeacher, parseArch, parseWidth } from '../recipe/student-spec';
import { formProblems, typed } from './form-problems';
import type { DistillStep, TrainStep } from '../recipe/steps';
import type { DatasetRecord, VariantRecord } from '../recipe/variant';
import type { PruneProgress, TrainProgress } from '../worker/types';
import type { EpochRecord, StepRecord } from '../train/trainer';
import { fmtInt } from '../core/format';

/** Where the training items come from: the bundled MNIST training set, or the dataset loaded for evaluation. */
export type TrainData = 'mnist-train' | 'loaded';

const base = import.meta.env.BASE_URL;

/** The bundled MNIST training set (vite.config.ts serves it gzipped; the worker gunzips). */
export const MNIST_TRAIN = {
  name: 'MNIST training set (60k)',
  images: { name: 'train-images-idx3-ubyte.gz', url: `${base}data/mnist/train-images-idx3-ubyte.gz` },
  labels: { name: 'train-labels-idx1-ubyte.gz', url: `${base}data/mnist/train-labels-idx1-ubyte.gz` },
  count: 60_000,
} as const;

/** Built-in students, the teacher at half width, and the teacher trained quantisation-aware (train/students.ts). */
export const STUDENT_PRESETS = ['mlp:784-32-10', 'mlp:784-64-10', 'cnn:8-16-10', 'width:0.5', 'binary', 'int8'] as const;
/** The same for colour images (a test set with three channels). */
export const COLOUR_STUDENT_PRESETS = ['cnn:3x32x32:k3.16-k3.32-k3.64-10', 'resnet:8w8-10', 'resnet:20-10', 'width:0.5', 'binary', 'int8'] as const;

export type TrainMode = 'distil' | 'hard';

export interface TrainInputs {
  student: string;
  mode: TrainMode;
  /** The variant to distil from; null means the loaded file. */
  teacher: string | null;
  temperature: string;
  alpha: string;
  epochs: string;
  batch: string;
  lr: string;
  optimizer: 'adamw' | 'sgd';
  schedule: string;
  seed: string;
  trainSamples: string;
  testSamples: string;
  data: TrainData;
}

export type TrainStatus = 'fetching' | 'loading' | 'preparing' | 'running' | 'pausing' | 'paused' | 'stopping' | 'evaluating';

export interface TrainJob {
  /** The worker request's id (0 while the training set is still being fetched). */
  id: number;
  mode: TrainMode;
  status: TrainStatus;
  step: number;
  totalSteps: number;
  elapsedMs: number;
  /** Set by Cancel while the training set is fetched, before the worker job exists. */
  cancelled: boolean;
}

/** One run's live series, kept after it ends so the charts stay until the next run. */
export interface TrainRun {
  label: string;
  student: string;
  mode: TrainMode;
  teacher: string | null;
  temperature: number;
  alpha: number;
  steps: StepRecord[];
  epochs: EpochRecord[];
  /** Steps per epoch, to place each epoch's test accuracy on the step axis. */
  stepsPerEpoch: number;
  /** Steps the run was planned for (the charts' step axis, so a cancelled run shows where it stopped). */
  totalSteps: number;
  outcome: 'running' | 'finished' | 'cancelled' | 'diverged' | 'failed';
  variant: string | null;
  testAccuracy: number | null;
}

export interface TrainState {
  inputs: TrainInputs;
  job: TrainJob | null;
  run: TrainRun | null;
  /** Finished runs (newest last), to compare distilled with hard-label students. */
  history: TrainRun[];
  /** The training set the worker holds (null until the first run fetches it). */
  trainingData: DatasetRecord | null;
}

export const DEFAULT_TRAIN_INPUTS: TrainInputs = {
  student: 'mlp:784-32-10', mode: 'distil', teacher: null,
  // Hinton et al.'s usual range; α weights the teacher's soft targets.
  temperature: '4', alpha: '0.9',
  // A subset, so a run finishes in minutes on a software adapter.
  epochs: '2', batch: '64', lr: '0.001', optimizer: 'adamw', schedule: 'constant', seed: '1',
  trainSamples: '6000', testSamples: '2000', data: 'mnist-train',
};

export const useTrain = create<TrainState>()(() => ({ inputs: DEFAULT_TRAIN_INPUTS, job: null, run: null, history: [], trainingData: null }));

export function setTrainInputs(patch: Partial<TrainInputs>): void {
  useTrain.setState((s) => {
    const inputs = { ...s.inputs, ...patch };
    // SGD wants a much larger step than Adam; move the default along unless the user set one.
    if (patch.optimizer && patch.optimizer !== s.inputs.optimizer && s.inputs.lr === (s.inputs.optimizer === 'adamw' ? '0.001' : '0.05')) {
      inputs.lr = patch.optimizer === 'adamw' ? '0.001' : '0.05';
    }
    return { inputs };
  });
}

export type Field = keyof TrainInputs;

/** What is wrong with the student field, or null; `variants` are the names a student may be trained from. */
export function studentProblem(spec: string, mode: TrainMode, teacherClasses: number | null, variants: readonly { name: string; kind: string }[]): string | null {
  const s = spec.trim();
  if (!s) return 'Name a student: a spec such as mlp:784-32-10, width:0.5 (the teacher at half width), binary, int8, or a variant from the Variants table.';
  const teacherOnly = madeFromTeacher(s);
  if (teacherOnly && mode === 'hard') return `The '${s}' student is made from the teacher: choose "Distil from the teacher" (hard-label training has no teacher).`;
  try {
    if (s.startsWith('width:')) { parseWidth(s); return null; }
    if (teacherOnly) return null;
    const v = variants.find((x) => x.name === s || x.name === s.replace(/\.onnx$/i, ''));
    if (v) return v.kind === 'mixed' ? `'${s}' mixes precisions per layer, which quantisation-aware training does not do yet: pick its float parent, or the int8 or binary student.` : null;
    const arch = parseArch(s);
    if (mode === 'distil' && teacherClasses !== null && arch.classes !== teacherClasses) {
      return `The student scores ${arch.classes} classes but the teacher ${teacherClasses}; distillation needs the same classes in both.`;
    }
    return null;
  } catch (e) {
    return e instanceof Error ? `${e.message}; or name a variant from the Variants table` : String(e);
  }
}

/**
 * The student to propose when the field still holds the MNIST default and the teacher is not an
 * MNIST classifier (784 inputs, 10 classes): the teacher at half width, which fits any teacher
 * (same input, same classes, about a quarter of the FLOPs). Null where the field was changed, the
 * mode trains from labels alone (no teacher to take the width of), or the default fits.
 */
export function proposedStudent(inputs: Pick<TrainInputs, 'student' | 'mode'>, teacher: { name: string; classes: number | null; inputShape: readonly (number | string)[] } | null): { student: string; why: string } | null {
  if (inputs.student.trim() !== DEFAULT_TRAIN_INPUTS.student || inputs.mode !== 'distil' || !teacher) return null;
  const item = teacher.inputShape.slice(1);
  const size = item.every((d) => typeof d === 'number') ? (item as number[]).reduce((a, b) => a * b, 1) : null;
  if (teacher.classes === 10 && size === 784) return null;
  const takes = `${teacher.name} takes [${item.join(', ')}]${teacher.classes === null ? '' : ` and scores ${teacher.classes} classes`}`;
  return { student: 'width:0.5', why: `${DEFAULT_TRAIN_INPUTS.student} is an MNIST student (784 inputs, 10 classes); ${takes}` };
}

const TRAIN_FIELDS: Partial<Record<string, Field>> = {
  epochs: 'epochs', batch: 'batch', lr: 'lr', schedule: 'schedule', seed: 'seed', trainSamples: 'trainSamples', testSamples: 'testSamples',
  temperature: 'temperature', alpha: 'alpha',
};
const TRAIN_LABELS: Record<Field, string> = {
  student: 'The student', mode: 'The mode', teacher: 'The teacher', temperature: 'T', alpha: 'α', epochs: 'Epochs', batch: 'Batch', lr: 'The learning rate',
  optimizer: 'The optimizer', schedule: 'The schedule', seed: 'The seed', trainSamples: 'Training samples', testSamples: 'Test samples', data: 'The data',
};

/**
 * Each input's problem in words, or nothing: the schema's (the step the card would run) and the
 * card's own (the student among the variants, counts the loaded data cannot give). `teacherClasses`
 * is the teacher's output width when known.
 */
export function inputProblems(inputs: TrainInputs, opts: { trainCount: number | null; testCount: number | null; teacherClasses: number | null; variants?: readonly { name: string; kind: string }[] }): Partial<Record<Field, string>> {
  const distil = inputs.mode === 'distil';
  const step = {
    kind: distil ? 'distill' : 'train', student: 'input', epochs: typed(inputs.epochs), batch: typed(inputs.batch), lr: typed(inputs.lr), optimizer: inputs.optimizer,
    schedule: inputs.schedule.trim(), seed: typed(inputs.seed), trainSamples: typed(inputs.trainSamples), testSamples: typed(inputs.testSamples),
    ...(distil ? { temperature: typed(inputs.temperature), alpha: typed(inputs.alpha) } : {}),
  };
  // Untouched fields hold the defaults, valid by construction (train.test.ts checks them): no schema built while the page loads.
  const out = inputs === DEFAULT_TRAIN_INPUTS ? {} : formProblems(step, TRAIN_FIELDS, TRAIN_LABELS);
  const student = studentProblem(inputs.student, inputs.mode, opts.teacherClasses, opts.variants ?? []);
  if (student) out.student = student;
  const most = (k: 'trainSamples' | 'testSamples', max: number | null) => {
    if (!out[k] && max !== null && typed(inputs[k]) > max) out[k] = `${TRAIN_LABELS[k]} must be at most ${fmtInt(max)}, the items the set holds.`;
  };
  most('trainSamples', opts.trainCount);
  most('testSamples', opts.testCount);
  return out;
}

/** The items the training and test sets hold for these inputs (null where that set is not loaded). */
export function sampleCounts(inputs: TrainInputs = useTrain.getState().inputs): { trainCount: number | null; testCount: number | null } {
  const s = useStudio.getState();
  const trainCount = inputs.data === 'loaded' ? s.datasets.test?.count ?? null : s.datasets.train?.count ?? MNIST_TRAIN.count;
  return { trainCount, testCount: s.datasets.test?.count ?? null };
}

/** The sample counts lowered to what the sets hold, where they ask for more (a proposal taken fits the data, not only the teacher). */
export function fittedCounts(inputs: Pick<TrainInputs, 'trainSamples' | 'testSamples'>, counts: { trainCount: number | null; testCount: number | null }): Partial<TrainInputs> {
  const out: Partial<TrainInputs> = {};
  const fit = (k: 'trainSamples' | 'testSamples', max: number | null) => {
    const asked = Number(inputs[k].trim());
    if (max !== null && max > 0 && Number.isFinite(asked) && asked > max) out[k] = String(max);
  };
  fit('trainSamples', counts.trainCount);
  fit('testSamples', counts.testCount);
  return out;
}

/** The problems for the inputs as they stand in the page now. */
export function currentProblems(inputs: TrainInputs = useTrain.getState().inputs): Partial<Record<Field, string>> {
  const s = useStudio.getState();
  const teacher = teacherName(inputs);
  const k = s.records.find((r) => r.name === teacher)?.stats.classes ?? null;
  const variants = s.records.map((r) => ({ name: r.name, kind: r.technique }));
  return inputProblems(inputs, { ...sampleCounts(inputs), teacherClasses: k, variants });
}

/** The variant distilled from: the one chosen, else the loaded file. */
export function teacherName(inputs: TrainInputs = useTrain.getState().inputs): string | null {
  const records = useStudio.getState().records;
  if (inputs.teacher && records.some((r) => r.name === inputs.teacher)) return inputs.teacher;
  return records.find((r) => !r.parentId)?.name ?? null;
}

/** Whether this card's run is the running job. */
export function trainBusy(): boolean { return Boolean(useTrain.getState().job); }

/** The variant a name in the student field means (variants are named in the table; code passes ids). */
function variantNamed(name: string): string | null {
  return useStudio.getState().records.find((r) => r.name === name || r.name === name.replace(/\.onnx$/i, ''))?.id ?? null;
}

/** The step the card describes, and the variant it starts from. */
export function trainStep(inputs: TrainInputs, mode: TrainMode): { step: Record<string, unknown>; inputId: string } | null {
  const n = (v: string) => Number(v.trim().replace(',', '.'));
  const s = useStudio.getState();
  const teacher = teacherName(inputs);
  const teacherId = s.records.find((r) => r.name === teacher)?.id ?? null;
  const studentVariant = variantNamed(inputs.student.trim());
  const common = {
    epochs: n(inputs.epochs), batch: n(inputs.batch), lr: n(inputs.lr), optimizer: inputs.optimizer, schedule: inputs.schedule.trim(),
    seed: n(inputs.seed), trainSamples: n(inputs.trainSamples), testSamples: n(inputs.testSamples), data: inputs.data === 'loaded' ? 'test' : 'train',
  };
  if (mode === 'distil') {
    if (!teacherId) return null;
    const student = studentVariant ? (studentVariant === teacherId ? 'input' : `variant:${studentVariant}`) : inputs.student.trim();
    return { step: { kind: 'distill', student, teacher: 'input', temperature: n(inputs.temperature), alpha: n(inputs.alpha), ...common }, inputId: teacherId };
  }
  if (studentVariant) return { step: { kind: 'train', student: 'input', ...common }, inputId: studentVariant };
  const root = s.records.find((r) => !r.parentId)?.id;
  return root ? { step: { kind: 'train', student: inputs.student.trim(), ...common }, inputId: root } : null;
}

/** Fills the card from a train or distill step (duplicate-and-edit). */
export function fillTrainForm(step: TrainStep | DistillStep, made: VariantRecord): void {
  const records = useStudio.getState().records;
  const nameOf = (id: string | null | undefined) => records.find((r) => r.id === id)?.name ?? null;
  const student = step.student === 'input' ? nameOf(step.kind === 'distill' ? made.step?.context.teacherId : made.parentId) ?? 'input'
    : step.student.startsWith('variant:') ? nameOf(step.student.slice(8)) ?? step.student : step.student;
  setTrainInputs({
    student, mode: step.kind === 'distill' ? 'distil' : 'hard', teacher: step.kind === 'distill' ? nameOf(made.step?.context.teacherId) : null,
    ...(step.kind === 'distill' ? { temperature: String(step.temperature), alpha: String(step.alpha) } : {}),
    epochs: String(step.epochs), batch: String(step.batch), lr: String(step.lr), optimizer: step.optimizer, schedule: step.schedule, seed: String(step.seed),
    trainSamples: String(step.trainSamples ?? 60_000), testSamples: String(step.testSamples ?? 10_000), data: step.data === 'test' ? 'loaded' : 'mnist-train',
  });
}

const setJob = (patch: Partial<TrainJob>) => useTrain.setState((s) => (s.job ? { job: { ...s.job, ...patch } } : {}));
const setRun = (patch: Partial<TrainRun> | ((r: TrainRun) => Partial<TrainRun>)) =>
  useTrain.setState((s) => (s.run ? { run: { ...s.run, ...(typeof patch === 'function' ? patch(s.run) : patch) } } : {}));

/** Fetches the bundled MNIST training set and hands it to the worker as the project's training set (once). */
export async function ensureTrainingData(): Promise<void> {
  const client = studioClient();
  if (!client || useStudio.getState().datasets.train) return;
  useStudio.setState({ preparing: 'Fetching the MNIST training set' });
  try {
    // The worker fetches it: 10 MB the page's main thread never holds.
    const train = await client.call('loadDatasetUrl', {
      role: 'train', images: absolute(MNIST_TRAIN.images.url), labels: absolute(MNIST_TRAIN.labels.url),
      name: MNIST_TRAIN.name, imagesName: MNIST_TRAIN.images.name, labelsName: MNIST_TRAIN.labels.name,
    });
    useStudio.setState((s) => ({ datasets: { ...s.datasets, train } }));
    useTrain.setState({ trainingData: train });
  } finally {
    useStudio.setState({ preparing: null });
  }
}

/** Steps reported since the charts last drew: they draw at most twice a second, whatever the pace of training. */
let buffered: { steps: StepRecord[]; job: Partial<TrainJob> | null } = { steps: [], job: null };
let flushTimer: ReturnType<typeof setTimeout> | null = null;
function flushSteps(): void {
  if (flushTimer) { clearTimeout(flushTimer); flushTimer = null; }
  const { steps, job } = buffered;
  buffered = { steps: [], job: null };
  if (job) setJob(job);
  if (steps.length) setRun((r) => ({ steps: [...r.steps, ...steps] }));
}

function onProgress(p: TrainProgress | PruneProgress): void {
  if (p.phase !== 'train') return;
  if (p.kind === 'step') {
    buffered.steps.push(p.record);
    buffered.job = { step: p.step, totalSteps: p.totalSteps, elapsedMs: p.elapsedMs, status: 'running' };
    flushTimer ??= setTimeout(flushSteps, 500);
    return;
  }
  flushSteps();
  if (p.kind === 'status') {
    setJob({ totalSteps: p.totalSteps, status: p.status });
    setRun({ totalSteps: p.totalSteps });
  } else {
    setRun((r) => ({ epochs: [...r.epochs, p.record], testAccuracy: p.record.testAccuracy }));
  }
}

/**
 * Trains the card's student (distilled from the teacher, or on hard labels only) as a step on the
 * runtime; the student becomes a variant, selected and evaluated with the Evaluate card's settings.
 */
export async function startTraining(mode: TrainMode = useTrain.getState().inputs.mode): Promise<void> {
  const s = useStudio.getState();
  if (busyReason(s)) { pushNotice('error', 'Cannot start training', busyReason(s)!); return; }
  const inputs = { ...useTrain.getState().inputs, mode };
  const problems = Object.values(currentProblems(inputs));
  if (problems.length) { pushNotice('error', 'Training needs valid settings', problems.join('\n')); return; }
  if (!s.records.length || !s.datasets.test) { pushNotice('error', 'Training needs a model and a test set', 'Load a model (the teacher) and an IDX test set first.'); return; }
  const built = trainStep(inputs, mode);
  if (!built) { pushNotice('error', 'Training needs a teacher', 'Choose the variant to distil from.'); return; }
  const trainCount = inputs.data === 'loaded' ? s.datasets.test.count : MNIST_TRAIN.count;
  const epochs = Number(inputs.epochs), batch = Number(inputs.batch);
  const stepsPerEpoch = Math.ceil(Math.min(Number(inputs.trainSamples), trainCount) / batch);
  const teacher = mode === 'distil' ? teacherName(inputs) : null;
  const how = teacher ? `distilled from ${teacher} (T ${inputs.temperature}, α ${inputs.alpha})` : 'hard labels only';
  useTrain.setState({
    job: { id: 0, mode, status: 'preparing', step: 0, totalSteps: stepsPerEpoch * epochs, elapsedMs: 0, cancelled: false },
    run: {
      label: `${inputs.student}, ${how}`, student: inputs.student, mode, teacher, temperature: Number(inputs.temperature), alpha: Number(inputs.alpha),
      steps: [], epochs: [], stepsPerEpoch, totalSteps: stepsPerEpoch * epochs, outcome: 'running', variant: null, testAccuracy: null,
    },
  });
  try {
    if (inputs.data === 'mnist-train') {
      setJob({ status: 'fetching' });
      try { await ensureTrainingData(); } catch (e) { report('Could not fetch the training set', e); setRun({ outcome: 'failed' }); return; }
    }
    setJob({ status: 'preparing' });
    const made = await applyStep(built.step, built.inputId, 'training', onProgress, 'Training was cancelled before its first step; nothing was kept.');
    flushSteps();
    if (!made) { setRun({ outcome: useTrain.getState().job?.cancelled ? 'cancelled' : 'failed' }); return; }
    const t = made.details.trained as { outcome: TrainRun['outcome']; message: string | null; testAccuracy: number | null; stepsDone: number; totalSteps: number; seconds: number };
    setRun({ outcome: t.outcome, variant: made.name, testAccuracy: t.testAccuracy });
    useTrain.setState((st) => ({ history: [...st.history.slice(-9), st.run!] }));
    if (t.outcome === 'diverged') pushNotice('error', 'Training diverged', t.message ?? 'the loss became NaN or infinite');
    else if (t.outcome === 'cancelled') pushNotice('info', 'Training cancelled', `${t.message ?? ''}\nThe student is listed as ${made.name}.`.trim());
    else {
      pushNotice('info', 'Student trained', `${made.name}: ${fmtInt(made.stats.params)} parameters, ${t.stepsDone} of ${t.totalSteps} steps in ${t.seconds.toFixed(0)} s` +
        `${t.testAccuracy !== null ? `, test accuracy ${(100 * t.testAccuracy).toFixed(2)} % on ${fmtInt(Number(inputs.testSamples))} samples` : ''}.`);
    }
  } finally {
    useTrain.setState({ job: null });
  }
}

export async function pauseTraining(): Promise<void> {
  setJob({ status: 'pausing' });
  await pauseJob(true);
}

export async function resumeTraining(): Promise<void> {
  await pauseJob(false);
  setJob({ status: 'running' });
}

/** Stops training; the worker keeps the weights so far as a variant (unless no step ran yet). */
export function cancelTraining(): void {
  const job = useTrain.getState().job;
  if (!job) return;
  setJob({ status: 'stopping', cancelled: true });
  cancelJob();
}

/** Seconds left at the pace so far (null until a step was reported). */
export function eta(job: TrainJob): number | null {
  if (!job.step || !job.elapsedMs) return null;
  return (job.elapsedMs / job.step) * (job.totalSteps - job.step) / 1000;
}
