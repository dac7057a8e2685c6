/**
 * `prune [model.onnx] --sparsity S --out file.onnx`: the flags become the prune step the page's
 * Prune card makes, applied by the runtime the page's worker runs (re-batching a fixed batch as the
 * page does), optionally fine-tuned on training data as `train` / `distill` take it; and
 * `sensitivity [model.onnx]`: per layer, accuracy against sparsity with only that layer pruned.
 * Everything that can refuse the job (flags, files, the spec against the model, the data) is checked
 * before the GPU work starts. The written file is a standard ONNX model: pruned weights are stored
 * zeros, filter-pruned layers are really smaller.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CRITERIA, GRANULARITIES, type Criterion, type Granularity } from '../recipe/vocabulary';
import { parseStep, type PruneStep } from '../recipe/steps';
import { pruneSpecOf } from '../worker/pruning';
import type { PrunedInfo } from '../worker/types';
import { chooseSparsities, type ChosenSparsities, type SensitivityCurve } from '../train/prune-sensitivity';
import { DEFAULT_TRAIN_CONFIG } from '../train/trainer';
import { DEFAULT_TEACHER_FILE, MNIST_TEST, MNIST_TRAIN, openStudio, positiveInt, preprocessFrom, readInput, readPair, UsageError, type Flags } from './common';
import { dataInput, loadInput, testImagesFor } from './data-input';
import { numberFlag, pruneStepFrom } from './steps-from-flags';
import { testPair } from './train';

function oneOf<T extends string>(v: string | true | undefined, name: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (v === true || !allowed.includes(v as T)) throw new UsageError(`--${name} must be ${allowed.join(', ')}${v === true ? '' : `, not '${v}'`}`);
  return v as T;
}

function readModel(path: string | undefined, what: string): { bytes: Uint8Array; name: string } {
  const file = path ?? DEFAULT_TEACHER_FILE;
  return { bytes: readInput(file, `${what}${path ? '' : ' (the default CNN; make it with npm run train:demo)'}`), name: basename(file) };
}

export async function pruneCommand(rest: string[], flags: Flags) {
  if (typeof flags.out !== 'string') throw new UsageError('--out <file.onnx> is required: where to write the pruned model');
  const out = flags.out;
  oneOf(flags.granularity, 'granularity', GRANULARITIES, 'fine');
  oneOf(flags.criterion, 'criterion', CRITERIA, 'l1');
  const raw = pruneStepFrom(flags);
  const step = parseStep(raw) as PruneStep;
  // Files first: a wrong path is reported before the GPU starts.
  const model = readModel(rest[0], 'model');
  const needsTrain = step.finetuneEpochs > 0 || step.criterion === 'taylor';
  const train = needsTrain && step.data === 'train' ? dataInput(flags, 'data', 'images', 'labels', MNIST_TRAIN) : null;
  const test = (train?.kind === 'images' ? testImagesFor(flags, train) : null)
    ?? dataInput(flags, 'test-data', 'test-images', 'test-labels', null)
    ?? { kind: 'idx' as const, read: readPair(needsTrain ? testPair(flags) : MNIST_TEST) };

  const rt = await openStudio();
  const root = await rt.loadModel(model.bytes, model.name);
  let pre = train ? await loadInput(rt, 'train', train, flags) : null;
  // Without training, a test set that does not fit the model only means the accuracy goes unmeasured (the job says why).
  pre = (await loadInput(rt, 'test', test, flags, { checkFit: needsTrain || flags['test-images'] !== undefined })) ?? pre ?? preprocessFrom(flags);
  const { record } = await rt.runStep(raw, root.id, { preprocess: pre, authored: raw });
  const bytes = await rt.exportVariant(record.id);
  writeFileSync(out, bytes);
  const p = record.details.pruned as PrunedInfo;
  return {
    command: 'prune' as const, model: model.name, out, variant: { id: record.id, name: record.name, sha256: record.modelSha256 },
    spec: pruneSpecOf(await rt.variants.model(root.id), step), schedule: step.schedule, finetuneEpochs: step.finetuneEpochs, distill: step.distill,
    stages: p.stages, filters: step.granularity === 'filter' ? { groups: p.filters, kept: p.kept } : null,
    blocks: step.granularity === 'block' ? { blocks: p.blocks, refused: p.refusedBlocks } : null, skipped: p.skipped,
    before: p.before, after: p.after, sparsity: p.layers, nonzeroFlops: p.nonzeroFlops, epochs: p.epochs,
    accuracy: p.accuracy, accuracyNote: p.accuracyNote ? `${p.accuracyNote.replace(/; load a test set that fits the model to measure it$/, '')}; give --test-images and --test-labels that fit the model to measure it` : null,
    fileBytes: bytes.length, sparseWeightBytes: p.sparseBytes, seconds: (record.step?.context.seconds ?? 0),
  };
}

export type PruneCliResult = Awaited<ReturnType<typeof pruneCommand>>;

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
  const budget = numberFlag(flags, 'budget') ?? null;
  if (budget !== null && !(budget >= 0)) throw new UsageError('--budget must be ≥ 0 (points of accuracy)');
  const model = readModel(rest[0], 'model');
  const test = dataInput(flags, 'test-data', 'test-images', 'test-labels', MNIST_TEST)!;
  const rt = await openStudio();
  const root = await rt.loadModel(model.bytes, model.name);
  const pre = (await loadInput(rt, 'test', test, flags)) ?? preprocessFrom(flags);
  const testSamples = Math.min(positiveInt(flags['test-samples'], 'test-samples', 1000)!, rt.data.need('test', 'Sensitivity').ds.count);
  const t0 = performance.now();
  const r = await rt.views.pruneSensitivity(root.id, { granularity, criterion, levels, samples: testSamples, preprocess: pre });
  const cfg = { ...DEFAULT_TRAIN_CONFIG, preprocess: pre, testSamples };
  const chosen = budget === null ? null : await chooseSparsities(await rt.device(), await rt.variants.model(root.id), { granularity, criterion },
    { baseline: r.baseline, curves: r.curves }, budget, rt.data.need('test', 'Sensitivity').ds, cfg);
  return { command: 'sensitivity', model: model.name, granularity, criterion, testSamples, baseline: r.baseline, curves: r.curves, chosen, seconds: (performance.now() - t0) / 1000 };
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
