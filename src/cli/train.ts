/**
 * `train <spec|model.onnx>` (hard labels) and `distill <teacher.onnx> --student <spec|model.onnx>`:
 * the studio's own trainer on Dawn. Training data: the MNIST training set unless --images/--labels
 * name another labelled IDX set; evaluation on the matching test set (--test-images/--test-labels,
 * else MNIST's t10k, else the given files' names with train → t10k / test). Everything that can
 * refuse the job is checked before the GPU starts.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { nodeGpu } from './dawn';
import { createGpuContext } from '../gpu/adapter';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import type { Model } from '../model/ir';
import { checkSupport } from '../model/support';
import { RUNNABLE_OPS } from '../engine/ops';
import { FOLDABLE_OPS } from '../model/resolve';
import { deployFor, madeFromTeacher, resolveStudent, trainableStudent, type Student } from '../train/students';
import { parseSchedule } from '../train/schedule';
import { checkTrainingInputs, DEFAULT_TRAIN_CONFIG, trainModel, type TrainConfig, type TrainResult } from '../train/trainer';
import { DEFAULT_TEACHER_FILE, MNIST, num, positiveInt, preprocessFrom, readDataset, readInput, UsageError, type Flags } from './common';

export interface TrainCliResult {
  command: 'train' | 'distill';
  student: string;
  teacher: string | null;
  out: string;
  outcome: TrainResult['outcome'];
  message: string | null;
  config: Omit<TrainConfig, 'reportEvery'>;
  parameters: number;
  sizeBytes: number;
  testAccuracy: number | null;
  testSamples: number;
  epochs: TrainResult['epochs'];
  /** For width students: which channel groups got thinner, and which were kept whole and why. */
  width: Student['width'] | null;
  steps: number;
  seconds: number;
  gpuBytes: TrainResult['gpuBytes'];
}

/** Training settings from the flags; prune reads its learning-rate schedule from --lr-schedule (its --schedule is the pruning one). */
export function configFrom(flags: Flags, distilling: boolean, opts: { scheduleFlag?: string; defaultSchedule?: string; defaultLr?: number; defaultEpochs?: number } = {}): TrainConfig {
  const optimizer = flags.optimizer ?? 'adamw';
  if (optimizer !== 'sgd' && optimizer !== 'adamw' && optimizer !== 'adam') throw new UsageError(`--optimizer must be sgd or adamw, not '${optimizer}'`);
  const kind = optimizer === 'sgd' ? 'sgd' : 'adamw';
  let schedule;
  const scheduleFlag = flags[opts.scheduleFlag ?? 'schedule'];
  try { schedule = parseSchedule(typeof scheduleFlag === 'string' ? scheduleFlag : opts.defaultSchedule ?? 'constant'); } catch (e) { throw new UsageError((e as Error).message); }
  const temperature = num(flags.temperature, 'temperature', 4), alpha = num(flags.alpha, 'alpha', 0.9);
  if (!(temperature > 0)) throw new UsageError('--temperature must be > 0');
  if (!(alpha >= 0 && alpha <= 1)) throw new UsageError('--alpha must be between 0 and 1');
  if (!distilling && (flags.temperature !== undefined || flags.alpha !== undefined)) throw new UsageError('--temperature and --alpha are for distill (train uses hard labels only)');
  const lr = num(flags.lr, 'lr', opts.defaultLr ?? (kind === 'sgd' ? 0.05 : 1e-3));
  if (!(lr > 0)) throw new UsageError('--lr must be > 0');
  return {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: opts.defaultEpochs ?? positiveInt(flags.epochs, 'epochs', 3)!,
    batch: positiveInt(flags.batch, 'batch', 64)!,
    lr, optimizer: kind,
    momentum: num(flags.momentum, 'momentum', 0.9),
    weightDecay: num(flags['weight-decay'], 'weight-decay', 0),
    schedule,
    seed: positiveInt(flags.seed, 'seed', 1)!,
    trainSamples: positiveInt(flags['train-samples'], 'train-samples'),
    testSamples: positiveInt(flags['test-samples'], 'test-samples'),
    preprocess: preprocessFrom(flags),
    loss: { temperature, alpha: distilling ? alpha : 0 },
    reportEvery: positiveInt(flags['report-every'], 'report-every', 20)!,
  };
}

/** The test set that goes with a training set: named, MNIST's, or the same names with train → t10k / test. */
export function testPaths(flags: Flags): [string, string] {
  if ((flags['test-images'] === undefined) !== (flags['test-labels'] === undefined)) throw new UsageError('--test-images and --test-labels go together');
  if (typeof flags['test-images'] === 'string') return [flags['test-images'], flags['test-labels'] as string];
  if (typeof flags.images !== 'string') return [join(MNIST, 't10k-images-idx3-ubyte'), join(MNIST, 't10k-labels-idx1-ubyte')];
  for (const to of ['t10k', 'test']) {
    const guess = [flags.images, flags.labels as string].map((p) => join(dirname(p), basename(p).replace(/train/g, to)));
    if (guess.every((p, i) => p !== [flags.images, flags.labels][i] && existsSync(p))) return guess as [string, string];
  }
  throw new UsageError('no test set found beside --images/--labels (tried their names with train → t10k and → test); name one with --test-images and --test-labels');
}

/** The training and test files the flags name (MNIST's by default), checked for pairing before anything is read. */
export function dataPaths(flags: Flags): { train: [string, string]; test: [string, string] } {
  if ((flags.images === undefined) !== (flags.labels === undefined)) throw new UsageError('--images and --labels go together');
  const train: [string, string] = typeof flags.images === 'string'
    ? [flags.images, flags.labels as string] : [join(MNIST, 'train-images-idx3-ubyte'), join(MNIST, 'train-labels-idx1-ubyte')];
  return { train, test: testPaths(flags) };
}

export async function readTrainingData(flags: Flags, paths = dataPaths(flags)) {
  const train = await readDataset(paths.train[0], paths.train[1], flags.images ? basename(paths.train[0]) : 'MNIST training set');
  const test = await readDataset(paths.test[0], paths.test[1], flags.images ? basename(paths.test[0]) : 'MNIST test set');
  return { train, test };
}

/** A model file named as the student: read and checked like any model the studio runs. */
function studentFile(spec: string): { model: Model } | undefined {
  if (!spec.endsWith('.onnx')) return undefined;
  const model = importOnnx(readInput(spec, 'student model'));
  checkSupport(model, RUNNABLE_OPS, FOLDABLE_OPS);
  return { model };
}

export async function trainCommand(command: 'train' | 'distill', rest: string[], flags: Flags): Promise<TrainCliResult> {
  const distilling = command === 'distill';
  const out = flags.out;
  if (typeof out !== 'string') throw new UsageError('--out <student.onnx> is required: where to write the trained model');
  const studentSpec = distilling ? flags.student : rest[0];
  if (typeof studentSpec !== 'string') throw new UsageError(distilling ? '--student <spec|file.onnx> is required (e.g. mlp:784-32-10)' : 'a student spec or model file is needed (e.g. mlp:784-64-10)');
  if (!distilling && flags.student !== undefined) throw new UsageError('train takes the student as its argument, not --student');
  if (!distilling && madeFromTeacher(studentSpec)) throw new UsageError(`the '${studentSpec}' student is made from the teacher: use it with distill`);
  const cfg = configFrom(flags, distilling);
  const paths = dataPaths(flags);
  // Files first: a wrong path or a bad file is reported before the GPU starts.
  // No teacher named: the studio's default teacher, the CNN it trained itself (npm run train:demo).
  const teacherPath = distilling ? rest[0] ?? DEFAULT_TEACHER_FILE : null;
  const teacherModel = teacherPath ? importOnnx(readInput(teacherPath, `teacher model${rest[0] ? '' : ' (the default teacher; make it with npm run train:demo)'}`)) : null;
  if (teacherModel) checkSupport(teacherModel, RUNNABLE_OPS, FOLDABLE_OPS);
  const { train, test } = await readTrainingData(flags, paths);
  const student = resolveStudent(studentSpec, { itemShape: train.itemShape, seed: cfg.seed, teacher: teacherModel, named: studentFile, namedWhat: 'model file (.onnx)' });
  if (student.width && !flags.json) {
    process.stderr.write(`student ${student.name}: ${student.width.changed.map((c) => `${c.producers.join('+')} ${c.from}→${c.to}`).join(', ')}` +
      `${student.width.kept.length ? `; kept whole: ${student.width.kept.map((k) => `${k.producers.join('+')} (${k.reason})`).join(', ')}` : ''}\n`);
  }
  checkTrainingInputs(student.model, train, test, teacherModel, cfg);

  const ctx = createGpuContext(await nodeGpu());
  const gpu = await ctx;
  const trainable = await trainableStudent(gpu, student, train, cfg);
  const t0 = performance.now();
  const testSamples = Math.min(cfg.testSamples ?? test.count, test.count);
  const deploy = deployFor(student);
  const result = await trainModel(gpu, trainable, train, test, cfg, teacherModel, {
    deploy,
    onStep: flags.json ? undefined : (s, p) => {
      const eta = p.step ? (p.elapsedMs / p.step) * (p.totalSteps - p.step) / 1000 : 0;
      process.stderr.write(`\repoch ${s.epoch}/${cfg.epochs} step ${p.step}/${p.totalSteps}  loss ${s.loss.toFixed(4)}  acc ${(100 * s.accuracy).toFixed(1)} %` +
        `${s.agreement !== null ? `  agree ${(100 * s.agreement).toFixed(1)} %` : ''}  lr ${s.lr.toPrecision(3)}  ETA ${fmtSeconds(eta)}   `);
    },
    onEpoch: flags.json ? undefined : (e) => process.stderr.write(`\nepoch ${e.epoch}: train loss ${e.trainLoss.toFixed(4)}, test accuracy ${(100 * e.testAccuracy).toFixed(2)} % on ${testSamples}, ${e.seconds.toFixed(1)} s, GPU ${(e.gpuBytes / 2 ** 20).toFixed(2)} MiB held\n`),
  });
  const bytes = exportOnnx(deploy ? deploy(result.model) : result.model);
  writeFileSync(out, bytes);
  gpu.destroy();
  const { reportEvery: _r, ...config } = cfg;
  void _r;
  return {
    command, student: student.name, teacher: teacherPath ? basename(teacherPath) : null, out,
    outcome: result.outcome, message: result.message, config, parameters: result.parameters, sizeBytes: bytes.length,
    testAccuracy: result.epochs.at(-1)?.testAccuracy ?? null, testSamples,
    epochs: result.epochs, width: student.width ?? null, steps: result.steps_done, seconds: (performance.now() - t0) / 1000, gpuBytes: result.gpuBytes,
  };
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
