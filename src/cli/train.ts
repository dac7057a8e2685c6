/**
 * `train <spec|model.onnx>` (hard labels) and `distill [teacher.onnx] --student <spec|model.onnx>`:
 * the flags become the train or distill step the page's Train card makes, applied by the runtime
 * the page's worker runs (so a fixed-batch teacher or student is re-batched as on the page).
 * Training data: the MNIST training set unless --images/--labels name another labelled IDX set;
 * evaluation on the matching test set (--test-images/--test-labels, else MNIST's t10k, else the
 * given files' names with train → t10k / test). Everything that can refuse the job is checked
 * before the first training step.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { exportOnnx } from '../model/onnx-export';
import { buildArch } from '../train/architectures';
import { madeFromTeacher, parseArch } from '../recipe/student-spec';
import { parseStep, type DistillStep, type TrainStep } from '../recipe/steps';
import type { EpochRecord } from '../train/trainer';
import {
  DEFAULT_TEACHER_FILE, idxPair, MNIST_TEST, MNIST_TRAIN, openStudio, preprocessFrom, readInput, readPair, UsageError, type Flags, type IdxPair,
} from './common';
import { dataInput, loadInput, testImagesFor } from './data-input';
import { trainStepFrom } from './steps-from-flags';

export interface TrainCliResult {
  command: 'train' | 'distill';
  student: string;
  teacher: string | null;
  out: string;
  variant: { id: string; name: string; sha256: string };
  outcome: 'finished' | 'cancelled' | 'diverged';
  message: string | null;
  config: TrainStep | DistillStep;
  parameters: number;
  sizeBytes: number;
  testAccuracy: number | null;
  testSamples: number;
  epochs: EpochRecord[];
  /** For width students: which channel groups got thinner, and which were kept whole and why. */
  width: unknown;
  steps: number;
  seconds: number;
  gpuBytes: { before: number; after: number };
}

/** The test set that goes with a training set: named, MNIST's, or the same names with train → t10k / test. */
export function testPair(flags: Flags): IdxPair {
  const named = idxPair(flags, 'test-images', 'test-labels', null);
  if (named) return named;
  if (typeof flags.images !== 'string') return MNIST_TEST;
  for (const to of ['t10k', 'test']) {
    const guess = [flags.images, flags.labels as string].map((p) => join(dirname(p), basename(p).replace(/train/g, to)));
    if (guess.every((p, i) => p !== [flags.images, flags.labels][i] && existsSync(p))) return { images: guess[0]!, labels: guess[1]!, name: basename(guess[0]!) };
  }
  throw new UsageError('no test set found beside --images/--labels (tried their names with train → t10k and → test); name one with --test-images and --test-labels');
}

export async function trainCommand(command: 'train' | 'distill', rest: string[], flags: Flags): Promise<TrainCliResult> {
  const distilling = command === 'distill';
  if (typeof flags.out !== 'string') throw new UsageError('--out <student.onnx> is required: where to write the trained model');
  const out = flags.out;
  const studentArg = distilling ? flags.student : rest[0];
  if (typeof studentArg !== 'string') throw new UsageError(distilling ? '--student <spec|file.onnx> is required (e.g. mlp:784-32-10)' : 'a student spec or model file is needed (e.g. mlp:784-64-10)');
  if (!distilling && flags.student !== undefined) throw new UsageError('train takes the student as its argument, not --student');
  if (!distilling && madeFromTeacher(studentArg)) throw new UsageError(`the '${studentArg}' student is made from the teacher: use it with distill`);
  const studentFile = studentArg.endsWith('.onnx') ? studentArg : null;
  // The step from the flags first: a bad value is a usage error before any file is read.
  const raw = trainStepFrom(flags, command, studentFile ? 'input' : command === 'train' ? 'input' : studentArg);
  // A fresh student's spec is read before anything is loaded (it is built once the data says the item size).
  const arch = !distilling && !studentFile ? parseArch(studentArg) : null;
  // Files next: a wrong path is reported before the GPU starts. No teacher named: the studio's default teacher (npm run train:demo).
  const teacherPath = distilling ? rest[0] ?? DEFAULT_TEACHER_FILE : null;
  const teacherBytes = teacherPath ? readInput(teacherPath, `teacher model${rest[0] ? '' : ' (the default teacher; make it with npm run train:demo)'}`) : null;
  const studentBytes = studentFile ? readInput(studentFile, 'student model') : null;
  const train = dataInput(flags, 'data', 'images', 'labels', MNIST_TRAIN)!;
  const test = testImagesFor(flags, train) ?? { kind: 'idx' as const, read: readPair(testPair(flags)) };

  const rt = await openStudio();
  let inputId: string | null = null;
  let step = raw;
  // Models first, so image data is decoded to the model's input (a fresh spec student: the shape it names).
  if (distilling) {
    inputId = (await rt.loadModel(teacherBytes!, basename(teacherPath!))).id;
    if (studentBytes) step = { ...raw, student: `variant:${(await rt.loadModel(studentBytes, basename(studentFile!))).id}` } as typeof raw;
  } else if (studentBytes) {
    inputId = (await rt.loadModel(studentBytes, basename(studentFile!))).id;
  }
  const inputShape = arch?.input ? ['N', ...arch.input] : undefined;
  const pre = (await loadInput(rt, 'train', train, flags, { inputShape })) ?? preprocessFrom(flags);
  await loadInput(rt, 'test', test, flags, { inputShape });
  if (!inputId) {
    // A spec trains a fresh model: the architecture at its initial weights is the file the variant is made from.
    const resolved = parseStep(raw) as TrainStep;
    const fresh = buildArch(studentArg, rt.data.need('train', 'training').ds.itemShape, resolved.seed);
    inputId = (await rt.loadModel(exportOnnx(fresh), `${studentArg}.onnx`)).id;
  }
  const { record } = await rt.runStep(step, inputId!, { preprocess: pre, authored: raw });
  const bytes = await rt.exportVariant(record.id);
  writeFileSync(out, bytes);
  const t = record.details.trained as {
    student: string; outcome: TrainCliResult['outcome']; message: string | null; testAccuracy: number | null; testSamples: number;
    history: EpochRecord[]; stepsDone: number; seconds: number; gpuBytes: { before: number; after: number }; width: unknown;
  };
  const resolved = record.step!.resolved as TrainStep | DistillStep;
  return {
    command, student: studentFile ? basename(studentFile) : t.student, teacher: teacherPath ? basename(teacherPath) : null, out,
    variant: { id: record.id, name: record.name, sha256: record.modelSha256 },
    outcome: t.outcome, message: t.message,
    config: { ...resolved, ...(resolved.kind === 'train' ? { loss: { temperature: 1, alpha: 0 } } : { loss: { temperature: resolved.temperature, alpha: resolved.alpha } }) },
    parameters: record.stats.params, sizeBytes: bytes.length, testAccuracy: t.testAccuracy, testSamples: t.testSamples,
    epochs: t.history, width: t.width ?? null, steps: t.stepsDone, seconds: t.seconds, gpuBytes: t.gpuBytes,
  };
}
