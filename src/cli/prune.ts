/**
 * `prune [model.onnx] --sparsity S --out file.onnx`: the studio's pruning on Dawn (train/prune-job.ts),
 * optionally fine-tuned on training data as `train` / `distill` take it, and
 * `sensitivity [model.onnx]`: per layer, accuracy against sparsity with only that layer pruned.
 * Everything that can refuse the job (flags, files, the spec against the model) is checked before
 * the GPU starts. The written file is a standard ONNX model: pruned weights are stored zeros,
 * filter-pruned layers are really smaller.
 */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { nodeGpu } from './dawn';
import { createGpuContext } from '../gpu/adapter';
import { importOnnx } from '../model/onnx-import';
import { exportOnnx } from '../model/onnx-export';
import type { Model } from '../model/ir';
import { checkSupport } from '../model/support';
import { RUNNABLE_OPS } from '../engine/ops';
import { FOLDABLE_OPS } from '../model/resolve';
import { CRITERIA, GRANULARITIES, STRUCTURAL, type Criterion, type Granularity, type PruneSpec } from '../compress/prune';
import { sparseBytes } from '../compress/sparse-format';
import { checkPruneSpec, PRUNE_SCHEDULES, runPrune, type PruneOutcome, type PruneSchedule } from '../train/prune-job';
import { chooseSparsities, pruneSensitivity, type ChosenSparsities, type SensitivityCurve } from '../train/prune-sensitivity';
import { checkTrainingInputs, DEFAULT_TRAIN_CONFIG, testAccuracyOf } from '../train/trainer';
import { checkFits, type LabelledDataset } from '../data/dataset';
import { DatasetError } from '../core/errors';
import { configFrom, dataPaths, readTrainingData } from './train';
import { DEFAULT_TEACHER_FILE, MNIST, num, positiveInt, preprocessFrom, readDataset, readInput, UsageError, type Flags } from './common';

export interface PruneCliResult extends Omit<PruneOutcome, 'model'> {
  command: 'prune';
  model: string;
  out: string;
  spec: PruneSpec;
  schedule: PruneSchedule;
  finetuneEpochs: number;
  distill: boolean;
  /** Why the accuracy was not measured (no test set fits the model), or null. */
  accuracyNote: string | null;
  /** Bytes of the written ONNX file (dense zeros), and of the pruned weights in the studio's sparse form. */
  fileBytes: number;
  sparseWeightBytes: { dense: number; sparse: number } | null;
  seconds: number;
}

function oneOf<T extends string>(v: string | true | undefined, name: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (v === true || !allowed.includes(v as T)) throw new UsageError(`--${name} must be ${allowed.join(', ')}${v === true ? '' : `, not '${v}'`}`);
  return v as T;
}

/** `a=0.5,b=0.3` → { a: 0.5, b: 0.3 }. */
export function parseLayerSparsities(v: string | true | undefined): Record<string, number> | undefined {
  if (v === undefined) return undefined;
  if (v === true) throw new UsageError('--layers needs name=sparsity pairs, e.g. conv1=0.3,fc1=0.8');
  const out: Record<string, number> = {};
  for (const part of v.split(',').filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const name = part.slice(0, eq), s = Number(part.slice(eq + 1));
    if (eq <= 0 || !Number.isFinite(s)) throw new UsageError(`--layers: '${part}' is not name=sparsity`);
    out[name] = s;
  }
  return out;
}

function specFrom(flags: Flags): PruneSpec {
  const granularity = oneOf<Granularity>(flags.granularity, 'granularity', GRANULARITIES, 'fine');
  if (flags.sparsity === undefined && granularity !== '2:4' && flags.layers === undefined) throw new UsageError('--sparsity S is required (the fraction to remove, e.g. 0.5), or --layers name=S,...');
  const sparsity = granularity === '2:4' ? 0.5 : num(flags.sparsity, 'sparsity', 0);
  if (!(sparsity >= 0 && sparsity < 1)) throw new UsageError(`--sparsity must be in [0, 1): the fraction of weights to remove (got ${sparsity})`);
  const scope = oneOf(flags.scope, 'scope', ['layer', 'global'] as const, 'layer');
  return {
    granularity, sparsity, scope,
    criterion: oneOf<Criterion>(flags.criterion, 'criterion', CRITERIA, 'l1'),
    layers: parseLayerSparsities(flags.layers),
    seed: positiveInt(flags.seed, 'seed', 1),
  };
}

function readModel(path: string | undefined, what: string): { model: Model; name: string } {
  const file = path ?? DEFAULT_TEACHER_FILE;
  const model = importOnnx(readInput(file, `${what}${path ? '' : ' (the default CNN; make it with npm run train:demo)'}`));
  checkSupport(model, RUNNABLE_OPS, FOLDABLE_OPS);
  return { model, name: basename(file) };
}

export async function pruneCommand(rest: string[], flags: Flags): Promise<PruneCliResult> {
  const out = flags.out;
  if (typeof out !== 'string') throw new UsageError('--out <file.onnx> is required: where to write the pruned model');
  const spec = specFrom(flags);
  const schedule = oneOf<PruneSchedule>(flags.schedule, 'schedule', PRUNE_SCHEDULES, 'oneshot');
  const finetuneEpochs = flags['finetune-epochs'] === undefined ? 0 : num(flags['finetune-epochs'], 'finetune-epochs', 0);
  if (!(Number.isInteger(finetuneEpochs) && finetuneEpochs >= 0)) throw new UsageError('--finetune-epochs must be a whole number ≥ 0');
  const distill = flags.distill === true;
  if (distill && !finetuneEpochs) throw new UsageError('--distill fine-tunes from the unpruned model: give --finetune-epochs E too');
  if (schedule !== 'oneshot' && !finetuneEpochs) throw new UsageError(`the ${schedule} schedule fine-tunes between its stages: give --finetune-epochs E (or use --schedule oneshot)`);
  const stages = positiveInt(flags.stages, 'stages');
  const cfg = configFrom(flags, distill, { scheduleFlag: 'lr-schedule', defaultSchedule: 'cosine', defaultLr: 5e-4, defaultEpochs: Math.max(1, finetuneEpochs) });
  const { model, name } = readModel(rest[0], 'model');
  const needsData = finetuneEpochs > 0 || spec.criterion === 'taylor';
  const paths = needsData ? dataPaths(flags) : null;
  // The spec against the model before any data or GPU: unknown layers, pinned groups, empty layers, no blocks.
  checkPruneSpec(model, spec);
  // Without training data the accuracy before and after is still measured, on the test set: the one
  // the flags name, else MNIST's when the model takes MNIST items (a model that does not is pruned unmeasured).
  const data = paths ? await readTrainingData(flags, paths) : { train: null, test: await testSet(flags) };
  let unmeasured: string | null = null;
  if (!paths && flags['test-images'] === undefined) {
    try { checkFits(data.test, model.graph.inputs[0]!.shape, model.graph.inputs[0]!.name); } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      unmeasured = `${e.message}; give --test-images and --test-labels that fit the model to measure it`;
    }
  }
  if (data.train) checkTrainingInputs(model, data.train, data.test, null, cfg);
  const gpu = await createGpuContext(await nodeGpu());
  const t0 = performance.now();
  try {
    const r = await runPrune(gpu, model, { spec, schedule, stages, finetuneEpochs, train: cfg, distill }, data.train ? { train: data.train, test: data.test } : null, {
      onStep: flags.json ? undefined : (s, p) => process.stderr.write(`\rfine-tuning step ${p.step}/${p.totalSteps}  loss ${s.loss.toFixed(4)}  acc ${(100 * s.accuracy).toFixed(1)} %   `),
      onEpoch: flags.json ? undefined : (e) => process.stderr.write(`\nepoch ${e.epoch}: test accuracy ${(100 * e.testAccuracy).toFixed(2)} %, ${e.seconds.toFixed(1)} s\n`),
    });
    const accuracy = data.train ? r.accuracy : unmeasured ? { before: null, after: null }
      : { before: await testAccuracyOf(gpu, model, data.test, cfg), after: await testAccuracyOf(gpu, r.model, data.test, cfg) };
    const bytes = exportOnnx(r.model);
    writeFileSync(out, bytes);
    const { model: _m, ...rest2 } = r;
    void _m;
    return {
      command: 'prune', model: name, out, spec, schedule, finetuneEpochs, distill, ...rest2,
      accuracy, accuracyNote: unmeasured,
      fileBytes: bytes.length,
      sparseWeightBytes: STRUCTURAL.includes(spec.granularity) ? null : sparseBytes(r.model),
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    gpu.destroy();
  }
}

/** The test set the flags name, else MNIST's. */
async function testSet(flags: Flags): Promise<LabelledDataset> {
  if ((flags['test-images'] === undefined) !== (flags['test-labels'] === undefined)) throw new UsageError('--test-images and --test-labels go together');
  const [img, lab] = typeof flags['test-images'] === 'string'
    ? [flags['test-images'], flags['test-labels'] as string] : [join(MNIST, 't10k-images-idx3-ubyte'), join(MNIST, 't10k-labels-idx1-ubyte')];
  return readDataset(img, lab, flags['test-images'] ? basename(img) : 'MNIST test set');
}

export interface SensitivityCliResult {
  command: 'sensitivity';
  model: string;
  granularity: Granularity;
  criterion: Criterion;
  testSamples: number;
  baseline: number;
  curves: SensitivityCurve[];
  chosen: ChosenSparsities | null;
  seconds: number;
}

export async function sensitivityCommand(rest: string[], flags: Flags): Promise<SensitivityCliResult> {
  const granularity = oneOf<Granularity>(flags.granularity, 'granularity', GRANULARITIES, 'fine');
  const criterion = oneOf<Criterion>(flags.criterion, 'criterion', CRITERIA, 'l1');
  if (criterion === 'taylor') throw new UsageError('sensitivity ranks by l1, l2, random or bn (Taylor needs training data: use prune --criterion taylor)');
  const levels = typeof flags.levels === 'string' ? flags.levels.split(',').map(Number) : Array.from({ length: 9 }, (_, i) => (i + 1) / 10);
  if (!levels.length || levels.some((s) => !(s >= 0 && s < 1))) throw new UsageError('--levels must be sparsities in [0, 1), comma-separated');
  const budget = flags.budget === undefined ? null : num(flags.budget, 'budget', 0.5);
  if (budget !== null && !(budget >= 0)) throw new UsageError('--budget must be ≥ 0 (points of accuracy)');
  const { model, name } = readModel(rest[0], 'model');
  const test = await testSet(flags);
  const testSamples = Math.min(positiveInt(flags['test-samples'], 'test-samples', 1000)!, test.count);
  const cfg = { ...DEFAULT_TRAIN_CONFIG, preprocess: preprocessFrom(flags), testSamples };
  const gpu = await createGpuContext(await nodeGpu());
  const t0 = performance.now();
  try {
    const r = await pruneSensitivity(gpu, model, { granularity, criterion }, levels, test, cfg, flags.json ? undefined : (p) =>
      process.stderr.write(`\r${p.layer}: sparsity ${p.sparsity.toFixed(2)} → ${(100 * p.accuracy).toFixed(2)} %   (${p.done}/${p.total})   `));
    const chosen = budget === null ? null : await chooseSparsities(gpu, model, { granularity, criterion }, r, budget, test, cfg);
    return { command: 'sensitivity', model: name, granularity, criterion, testSamples, baseline: r.baseline, curves: r.curves, chosen, seconds: (performance.now() - t0) / 1000 };
  } finally {
    gpu.destroy();
  }
}

const pct = (v: number | null) => (v === null ? 'not measured' : `${(100 * v).toFixed(2)} %`);
const ratio = (a: number, b: number) => (b ? `${(a / b).toFixed(3)}×` : '–');

export function printPrune(r: PruneCliResult): void {
  const s = r.spec;
  console.log(`pruned ${r.model}: ${s.granularity} by ${s.criterion}, sparsity ${s.granularity === '2:4' ? '2:4' : s.sparsity}${s.layers ? ` (per layer ${JSON.stringify(s.layers)})` : ''}, ` +
    `${r.schedule}${r.finetuneEpochs ? `, ${r.finetuneEpochs} fine-tuning epoch${r.finetuneEpochs > 1 ? 's' : ''}${r.distill ? ' distilled from the unpruned model' : ''}` : ', no fine-tuning'}`);
  console.log(r.accuracyNote ? `accuracy   not measured: ${r.accuracyNote}` : `accuracy   ${pct(r.accuracy.before)} → ${pct(r.accuracy.after)}`);
  console.log(`params     ${r.before.params} → ${r.after.params} (${ratio(r.after.params, r.before.params)})`);
  console.log(`FLOPs      ${r.before.flops} → ${r.after.flops} per item (${ratio(r.after.flops, r.before.flops)})` +
    (r.nonzeroFlops < r.after.flops ? `; ${r.nonzeroFlops} without the zeros (${ratio(r.nonzeroFlops, r.before.flops)}), what the sparse kernels compute where they run` : ''));
  for (const l of r.sparsity) console.log(`  ${l.node.padEnd(24)} ${((100 * l.zeros) / l.weights).toFixed(1).padStart(5)} % zeros of ${l.weights}`);
  if (r.filters) {
    for (const g of r.filters.groups) console.log(`  filters ${g.producers.join('+')}: ${g.before} → ${g.after}`);
    for (const k of r.filters.kept) console.log(`  kept whole ${k.producers.join('+')} (${k.channels}): ${k.reason}`);
  }
  if (r.blocks) {
    for (const b of r.blocks.blocks) console.log(`  block ${b.join} (${b.layers.join(', ')}), score ${b.score.toPrecision(3)}: ${b.removed ? 'removed' : 'kept'}`);
    for (const k of r.blocks.refused) console.log(`  not a removable block ${k.join}: ${k.reason}`);
  }
  for (const k of r.skipped) console.log(`  not pruned ${k.node}: ${k.reason}`);
  if (r.sparseWeightBytes) console.log(`weights    ${r.sparseWeightBytes.dense} B dense → ${r.sparseWeightBytes.sparse} B in the sparse form`);
  console.log(`wrote ${r.out} (${r.fileBytes} bytes) in ${r.seconds.toFixed(1)} s`);
}

export function printSensitivity(r: SensitivityCliResult): void {
  console.log(`sensitivity of ${r.model}: ${r.granularity} by ${r.criterion}, ${r.testSamples} test items, baseline ${pct(r.baseline)}`);
  const levels = [...new Set(r.curves.flatMap((c) => c.points.map((p) => p.sparsity)))].sort((a, b) => a - b);
  console.log(`${'layer'.padEnd(24)}${levels.map((s) => `${(100 * s).toFixed(0)} %`.padStart(8)).join('')}`);
  for (const c of r.curves) {
    console.log(`${c.layer.padEnd(24)}${levels.map((s) => { const p = c.points.find((q) => q.sparsity === s); return (p ? (100 * p.accuracy).toFixed(2) : '–').padStart(8); }).join('')}`);
    for (const k of c.skipped) console.log(`  ${(100 * k.sparsity).toFixed(0)} % not applied: ${k.reason}`);
  }
  if (r.chosen) {
    console.log(`within ${r.chosen.budgetPoints} points: ${Object.entries(r.chosen.layers).map(([l, s]) => `${l}=${s}`).join(',') || 'no layer'} → ${pct(r.chosen.accuracy)}, ` +
      `${r.chosen.flopsRemoved.toFixed(0)} FLOPs an item removed (${r.chosen.evaluations} combination${r.chosen.evaluations > 1 ? 's' : ''} measured); use it with prune --layers`);
  }
  console.log(`${r.seconds.toFixed(1)} s`);
}
