/**
 * The Train & distil card's state and actions: its inputs (kept as typed, so a bad value is shown,
 * not lost), the running job, the live series of the current run and a list of finished runs.
 * Its own store: the live series change many times a second and only this card reads them.
 */
import { create } from 'zustand';
import { StudioError } from '../core/errors';
import { useStudio, pushNotice } from './store';
import { report, refreshDevice, studioClient } from './worker-link';
import { busy, evaluateNew, upsert } from './variants';
import { parseArch } from '../train/architectures';
import { parseSchedule } from '../train/schedule';
import { madeFromTeacher, parseWidth } from '../train/width-spec';
import type { DatasetSummary, TrainData, TrainJobResult, TrainOptions, TrainProgress } from '../worker/types';
import type { EpochRecord, StepRecord } from '../train/trainer';

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
  trainingData: DatasetSummary | null;
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
    const v = variants.find((x) => x.name === s);
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

/** Each input's problem in words, or nothing; `teacherClasses` is the teacher's output width when known. */
export function inputProblems(inputs: TrainInputs, opts: { trainCount: number | null; testCount: number | null; teacherClasses: number | null; variants?: readonly { name: string; kind: string }[] }): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  const num = (k: Field) => Number(String(inputs[k]).trim().replace(',', '.'));
  const whole = (k: Field, what: string, min: number, max?: number) => {
    const v = num(k), text = String(inputs[k]).trim();
    if (!text || !Number.isInteger(v) || v < min || (max !== undefined && v > max)) {
      out[k] = `${what} must be a whole number from ${min}${max !== undefined ? ` to ${max.toLocaleString()}` : ' up'}${text ? ` (not '${text}')` : ''}.`;
    }
  };
  const student = studentProblem(inputs.student, inputs.mode, opts.teacherClasses, opts.variants ?? []);
  if (student) out.student = student;
  whole('epochs', 'Epochs', 1, 1000);
  whole('batch', 'Batch', 1, 4096);
  whole('seed', 'Seed', 0);
  whole('trainSamples', 'Training samples', 1, opts.trainCount ?? undefined);
  whole('testSamples', 'Test samples', 1, opts.testCount ?? undefined);
  if (!(num('lr') > 0) || !Number.isFinite(num('lr'))) out.lr = `The learning rate must be a number > 0 (e.g. 0.001${inputs.optimizer === 'sgd' ? ', or 0.05 for SGD' : ''}).`;
  try { parseSchedule(inputs.schedule.trim()); } catch (e) { out.schedule = e instanceof Error ? e.message : String(e); }
  if (inputs.mode === 'distil') {
    if (!(num('temperature') > 0) || !Number.isFinite(num('temperature'))) out.temperature = 'T must be a number > 0 (1 is the plain softmax; 2–8 is usual).';
    const a = num('alpha');
    if (!(a >= 0 && a <= 1)) out.alpha = 'α must be between 0 and 1 (the share of the loss on the teacher\'s soft targets).';
  }
  return out;
}

/** The problems for the inputs as they stand in the page now. */
export function currentProblems(inputs: TrainInputs = useTrain.getState().inputs): Partial<Record<Field, string>> {
  const s = useStudio.getState();
  const teacher = teacherName(inputs);
  const tv = s.variants.find((v) => v.name === teacher);
  const k = tv?.summary.outputs[0]?.shape.at(-1);
  const trainCount = inputs.data === 'loaded' ? s.dataset?.count ?? null : useTrain.getState().trainingData?.count ?? MNIST_TRAIN.count;
  return inputProblems(inputs, { trainCount, testCount: s.dataset?.count ?? null, teacherClasses: typeof k === 'number' && k > 0 ? k : null, variants: s.variants });
}

/** The variant distilled from: the one chosen, else the loaded file. */
export function teacherName(inputs: TrainInputs = useTrain.getState().inputs): string | null {
  const variants = useStudio.getState().variants;
  if (inputs.teacher && variants.some((v) => v.name === inputs.teacher)) return inputs.teacher;
  return variants.find((v) => v.kind === 'original')?.name ?? null;
}

export function trainBusy(): boolean { return Boolean(useTrain.getState().job); }

function options(inputs: TrainInputs, mode: TrainMode, preprocess: TrainOptions['preprocess']): TrainOptions {
  const n = (v: string) => Number(v.trim().replace(',', '.'));
  return {
    student: inputs.student.trim(), teacher: mode === 'distil' ? teacherName(inputs) : null, data: inputs.data,
    epochs: n(inputs.epochs), batch: n(inputs.batch), lr: n(inputs.lr), optimizer: inputs.optimizer, schedule: inputs.schedule.trim(),
    seed: n(inputs.seed), trainSamples: n(inputs.trainSamples), testSamples: n(inputs.testSamples),
    temperature: n(inputs.temperature), alpha: n(inputs.alpha), preprocess,
  };
}

async function fetchBytes(url: string): Promise<Uint8Array<ArrayBuffer>> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`could not fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

const setJob = (patch: Partial<TrainJob>) => useTrain.setState((s) => (s.job ? { job: { ...s.job, ...patch } } : {}));
const setRun = (patch: Partial<TrainRun> | ((r: TrainRun) => Partial<TrainRun>)) =>
  useTrain.setState((s) => (s.run ? { run: { ...s.run, ...(typeof patch === 'function' ? patch(s.run) : patch) } } : {}));

/** Fetches the bundled MNIST training set and hands it to the worker (once per page). */
export async function ensureTrainingData(): Promise<void> {
  const client = studioClient();
  if (!client || useTrain.getState().trainingData) return;
  setJob({ status: 'fetching' });
  const [images, labels] = await Promise.all([fetchBytes(MNIST_TRAIN.images.url), fetchBytes(MNIST_TRAIN.labels.url)]);
  if (useTrain.getState().job?.cancelled) return;
  setJob({ status: 'loading' });
  const trainingData = await client.call('loadTrainingData', {
    images, labels, name: MNIST_TRAIN.name, imagesName: MNIST_TRAIN.images.name, labelsName: MNIST_TRAIN.labels.name,
  }, [images.buffer, labels.buffer]);
  useTrain.setState({ trainingData });
}

function onProgress(p: TrainProgress): void {
  if (p.kind === 'status') {
    const stopping = useTrain.getState().job?.status === 'stopping';
    setJob({ totalSteps: p.totalSteps, ...(stopping ? {} : { status: p.status }) });
    setRun({ totalSteps: p.totalSteps });
  } else if (p.kind === 'step') {
    const status = useTrain.getState().job?.status;
    setJob({ step: p.step, totalSteps: p.totalSteps, elapsedMs: p.elapsedMs, ...(status === 'preparing' ? { status: 'running' as const } : {}) });
    setRun((r) => ({ steps: [...r.steps, p.record] }));
  } else {
    setRun((r) => ({ epochs: [...r.epochs, p.record], testAccuracy: p.record.testAccuracy }));
  }
}

/**
 * Trains the card's student (distilled from the teacher, or on hard labels only), adds it as a
 * variant, selects it and evaluates it with the Evaluate card's settings like any new variant.
 */
export async function startTraining(mode: TrainMode = useTrain.getState().inputs.mode): Promise<void> {
  const client = studioClient();
  const s = useStudio.getState();
  if (!client || busy(s) || trainBusy()) return;
  const inputs = { ...useTrain.getState().inputs, mode };
  const problems = Object.values(currentProblems(inputs));
  if (problems.length) { pushNotice('error', 'Training needs valid settings', problems.join('\n')); return; }
  if (!s.model || !s.dataset) { pushNotice('error', 'Training needs a model and a test set', 'Load a model (the teacher) and an IDX test set first.'); return; }
  const opts = options(inputs, mode, s.preprocess);
  const stepsPerEpoch = Math.ceil(Math.min(opts.trainSamples, inputs.data === 'loaded' ? s.dataset.count : MNIST_TRAIN.count) / opts.batch);
  const how = opts.teacher ? `distilled from ${opts.teacher} (T ${opts.temperature}, α ${opts.alpha})` : 'hard labels only';
  useTrain.setState({
    job: { id: 0, mode, status: 'preparing', step: 0, totalSteps: stepsPerEpoch * opts.epochs, elapsedMs: 0, cancelled: false },
    run: {
      label: `${opts.student}, ${how}`, student: opts.student, mode, teacher: opts.teacher, temperature: opts.temperature, alpha: opts.alpha,
      steps: [], epochs: [], stepsPerEpoch, totalSteps: stepsPerEpoch * opts.epochs, outcome: 'running', variant: null, testAccuracy: null,
    },
  });
  let made: TrainJobResult;
  try {
    try {
      if (opts.data === 'mnist-train') await ensureTrainingData();
      if (useTrain.getState().job?.cancelled) { pushNotice('info', 'Cancelled', 'Training was cancelled before its first step; nothing was kept.'); setRun({ outcome: 'cancelled' }); return; }
      const { id, done } = client.start('train', opts, onProgress);
      setJob({ id, status: 'preparing' });
      made = await done;
    } catch (e) {
      setRun({ outcome: e instanceof StudioError && e.kind === 'cancelled' ? 'cancelled' : 'failed' });
      report('Training failed', e, 'Training was cancelled before its first step; nothing was kept.');
      return;
    } finally {
      void refreshDevice();
    }
    const { trained, message, stepsDone, totalSteps, parameters, seconds, studioFormat, madeBy, ...summary } = made;
    upsert({ name: summary.fileName, kind: madeBy, summary, trained, ...(studioFormat ? { studioFormat } : {}) });
    useStudio.setState({ model: summary, currentVariant: summary.fileName });
    setRun({ outcome: trained.outcome, variant: summary.fileName, testAccuracy: trained.testAccuracy });
    useTrain.setState((st) => ({ history: [...st.history.slice(-9), st.run!] }));
    if (trained.outcome === 'diverged') pushNotice('error', 'Training diverged', message ?? 'the loss became NaN or infinite');
    else if (trained.outcome === 'cancelled') pushNotice('info', 'Training cancelled', `${message ?? ''}\nThe student is listed as ${summary.fileName}.`.trim());
    else {
      pushNotice('info', 'Student trained',
        `${summary.fileName}: ${parameters.toLocaleString()} parameters, ${stepsDone} of ${totalSteps} steps in ${seconds.toFixed(0)} s` +
        `${trained.testAccuracy !== null ? `, test accuracy ${(100 * trained.testAccuracy).toFixed(2)} % on ${opts.testSamples.toLocaleString()} samples` : ''}. Evaluating it now.`);
    }
    setJob({ status: 'evaluating' });
    await evaluateNew();
  } finally {
    useTrain.setState({ job: null });
  }
}

export async function pauseTraining(): Promise<void> {
  const job = useTrain.getState().job;
  const client = studioClient();
  if (!client || !job || !job.id || job.status === 'paused' || job.status === 'pausing') return;
  setJob({ status: 'pausing' });
  try { await client.call('pauseTraining', null); } catch (e) { report('Could not pause', e); }
}

export async function resumeTraining(): Promise<void> {
  const job = useTrain.getState().job;
  const client = studioClient();
  if (!client || !job || !job.id) return;
  try {
    await client.call('resumeTraining', null);
    if (useTrain.getState().job?.status !== 'stopping') setJob({ status: 'running' });
  } catch (e) { report('Could not resume', e); }
}

/** Stops training; the worker keeps the weights so far as a variant (unless no step ran yet). */
export function cancelTraining(): void {
  const job = useTrain.getState().job;
  if (!job || job.status === 'evaluating') return;
  setJob({ status: 'stopping', cancelled: true });
  if (job.id) studioClient()?.cancel(job.id);
}

/** Seconds left at the pace so far (null until a step was reported). */
export function eta(job: TrainJob): number | null {
  if (!job.step || !job.elapsedMs) return null;
  return (job.elapsedMs / job.step) * (job.totalSteps - job.step) / 1000;
}
