/**
 * The Prune card's jobs in the worker: the layers it can prune (with the groups filter pruning must
 * keep whole, and why), a picture of one layer's sparsity pattern before anything is changed, the
 * pruning run itself (train/prune-job.ts, fine-tuned on the training set the Train card loaded), and
 * the per-layer sensitivity sweep. Every job starts from the current variant's float model, so
 * prune → distil → int8 chains compose; the runtime keeps the result as a variant.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { DatasetError, ModelError, RecipeError } from '../core/errors';
import { checkFits, type LabelledDataset } from '../data/dataset';
import { analyseChannels } from '../model/channels';
import {
  flopsByNode, prunableLayers, pruneMasks, STRUCTURAL, weightPicture, type Criterion, type Granularity, type PruneSpec,
} from '../compress/prune';
import { filterMasks } from '../compress/prune-filters';
import { blockMasks } from '../compress/prune-blocks';
import { findBranches } from '../model/branches';
import { sparseBytes } from '../compress/sparse-format';
import { checkPruneSpec, runPrune } from '../train/prune-job';
import { pruneSensitivity } from '../train/prune-sensitivity';
import { checkTrainingInputs, DEFAULT_TRAIN_CONFIG, testAccuracyOf, type TrainConfig } from '../train/trainer';
import { parseSchedule } from '../train/schedule';
import { selectLayers } from '../compress/targets';
import type { PruneStep } from '../recipe/steps';
import type { Preprocess } from '../recipe/vocabulary';
import { reportEvery } from './train-job';
import type { ProjectData } from './datasets';
import type { JobHandle } from './jobs';
import type { PruneLayer, PruneProgress, PrunedInfo, PruneSensitivityOptions, PruneSensitivityResult, SparsityPicture } from './types';

export interface PruneSources {
  device(): Promise<GpuContext>;
  data: ProjectData;
}

export function pruneLayerList(model: Model): PruneLayer[] {
  const flops = flopsByNode(model);
  let groups: ReturnType<typeof analyseChannels>['groups'] = [];
  try { groups = analyseChannels(model).groups; } catch { /* masks still work without channel groups */ }
  let blocks: ReturnType<typeof findBranches>['branches'] = [];
  try { blocks = findBranches(model).branches; } catch { /* nor do they need blocks */ }
  return prunableLayers(model).layers.map((l) => {
    const g = groups.find((x) => x.producers.includes(l.node));
    return { node: l.node, opType: l.opType, weights: l.N * l.K, flops: flops.get(l.node) ?? 0, channels: g?.size ?? null, pinned: g ? g.pinned[0] ?? null : 'the channel analysis does not reach it',
      block: blocks.find((b) => b.weighted.includes(l.node))?.join ?? null };
  });
}

/** The layer's weights with the pattern `spec` would remove marked (Taylor previews by L1: its gradients are measured when pruning runs). */
export function previewPicture(model: Model, layer: string, spec: PruneSpec): SparsityPicture {
  const s = spec.criterion === 'taylor' ? { ...spec, criterion: 'l1' as const } : spec;
  const weight = prunableLayers(model).layers.find((l) => l.node === layer)?.weight;
  if (!weight) throw new ModelError(`'${layer}' is not a layer with stored float weights`);
  const masks = s.granularity === 'filter' ? filterMasks(model, s) : s.granularity === 'block' ? blockMasks(model, s) : pruneMasks(model, s).masks;
  return weightPicture(model, layer, masks[weight]);
}

/** The prune spec a step asks for, its target selector turned into per-layer sparsities (layers it does not select stay whole). */
export function pruneSpecOf(model: Model, step: PruneStep): PruneSpec {
  let layers = step.layers;
  if (step.target) {
    if (step.granularity === 'block') throw new RecipeError('a target selector picks layers; block pruning takes blocks: name them in "layers" (Add=1)');
    if (step.scope === 'global') throw new RecipeError('a target selector prunes layer by layer: use scope "layer" with it');
    const candidates = prunableLayers(model).layers.map((l) => ({ name: l.node, opType: l.opType }));
    const chosen = selectLayers(candidates, step.target, 'pruning')!;
    layers = Object.fromEntries(candidates.map((c) => [c.name, chosen.has(c.name) ? step.layers?.[c.name] ?? step.sparsity : 0]));
  }
  return { granularity: step.granularity, criterion: step.criterion, sparsity: step.granularity === '2:4' ? 0.5 : step.sparsity, layers, scope: step.scope, seed: step.seed };
}

/** The training settings of the fine-tuning (and Taylor's gradient probe). */
function trainConfigOf(step: PruneStep, trainCount: number, testCount: number, preprocess: Preprocess): TrainConfig {
  return {
    ...DEFAULT_TRAIN_CONFIG, epochs: Math.max(1, step.finetuneEpochs), batch: step.batch, lr: step.lr, optimizer: step.optimizer,
    momentum: step.momentum, weightDecay: step.weightDecay, schedule: parseSchedule(step.lrSchedule), seed: step.seed,
    trainSamples: Math.min(step.trainSamples ?? trainCount, trainCount), testSamples: Math.min(step.testSamples ?? testCount, testCount), preprocess,
    ...(step.augment ? { augment: step.augment } : {}),
    loss: { temperature: step.temperature, alpha: step.alpha },
  };
}

/** What a prune step reads: the test set (when it fits the model) and the training set (fine-tuning, Taylor). */
function pruneData(src: PruneSources, model: Model, step: PruneStep): { train: LabelledDataset | null; test: LabelledDataset | null; unmeasured: string | null } {
  const needsTrain = step.finetuneEpochs > 0 || step.criterion === 'taylor';
  const testData = src.data.get('test');
  if (!needsTrain) {
    // Without training, accuracy is measured where the test set fits the model; a model it does not fit is pruned unmeasured.
    if (!testData) return { train: null, test: null, unmeasured: 'no test set is loaded' };
    try {
      const input = model.graph.inputs[0]!;
      checkFits(testData.ds, input.shape, input.name);
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      return { train: null, test: null, unmeasured: `${e.message}; load a test set that fits the model to measure it` };
    }
    return { train: null, test: testData.ds, unmeasured: null };
  }
  const test = src.data.need('test', 'fine-tuning (each epoch is scored on the test set)').ds;
  const train = step.data === 'test' ? test : src.data.need('train', step.finetuneEpochs > 0 ? 'fine-tuning' : 'the Taylor criterion').ds;
  return { train, test, unmeasured: null };
}

/** Every refusal a prune step can make (the spec against the model, the data), before any GPU work. */
export function checkPruneStep(src: PruneSources, model: Model, step: PruneStep, preprocess: Preprocess): void {
  const spec = pruneSpecOf(model, step);
  const { train, test } = pruneData(src, model, step);
  checkPruneSpec(model, spec, train?.itemShape ?? test?.itemShape);
  if (train && test) checkTrainingInputs(model, train, test, null, trainConfigOf(step, train.count, test.count, preprocess));
}

export async function runPruneJob(src: PruneSources, model: Model, step: PruneStep, preprocess: Preprocess, job: JobHandle,
  onTrain: (p: PruneProgress) => void = () => {}): Promise<{ info: PrunedInfo; model: Model }> {
  checkPruneStep(src, model, step, preprocess);
  const spec = pruneSpecOf(model, step);
  const { train, test, unmeasured } = pruneData(src, model, step);
  const cfg = trainConfigOf(step, train?.count ?? 1, test?.count ?? 1, preprocess);
  const totalSteps = train ? Math.ceil((cfg.trainSamples ?? 1) / cfg.batch) * step.finetuneEpochs : 0;
  cfg.reportEvery = reportEvery(Math.max(1, totalSteps));
  const ctx = await src.device();
  onTrain({ phase: 'train', kind: 'status', status: 'preparing', totalSteps });
  job.progress({ stage: 'prune', done: 0, total: totalSteps });
  if (step.finetuneEpochs > 0) job.setPausable(true);
  const r = await runPrune(ctx, model, { spec, schedule: step.schedule, stages: step.stages, finetuneEpochs: step.finetuneEpochs, train: cfg, distill: step.distill },
    train && test ? { train, test } : null, {
      signal: job.signal,
      onStep: (record, p) => { onTrain({ phase: 'train', kind: 'step', record, ...p }); job.progress({ stage: 'fine-tune', done: p.step, total: p.totalSteps }); },
      onEpoch: (record) => onTrain({ phase: 'train', kind: 'epoch', record }),
      waitIfPaused: () => job.waitIfPaused(),
    });
  job.setPausable(false);
  // Pruned without fine-tuning: measured here on the test set, when it fits the model.
  const accuracy = train || !test ? r.accuracy : { before: await testAccuracyOf(ctx, model, test, cfg), after: await testAccuracyOf(ctx, r.model, test, cfg) };
  const info: PrunedInfo = {
    granularity: step.granularity, criterion: step.criterion, sparsity: step.granularity === '2:4' ? 0.5 : step.sparsity, schedule: step.schedule,
    finetuneEpochs: step.finetuneEpochs, distill: step.distill, before: r.before, after: r.after, accuracy, accuracyNote: unmeasured,
    layers: r.sparsity, nonzeroFlops: r.nonzeroFlops, filters: r.filters?.groups ?? [], kept: r.filters?.kept ?? [], blocks: r.blocks?.blocks ?? [],
    refusedBlocks: r.blocks?.refused ?? [], skipped: r.skipped, stages: r.stages, epochs: r.epochs,
    sparseBytes: STRUCTURAL.includes(step.granularity) ? null : (({ dense, sparse }) => ({ dense, sparse }))(sparseBytes(r.model)),
  };
  return { info, model: r.model };
}

export async function runPruneSensitivity(src: PruneSources, variant: string, model: Model, o: PruneSensitivityOptions,
  onProgress: (p: PruneProgress) => void, signal?: AbortSignal): Promise<PruneSensitivityResult> {
  const test = src.data.need('test', 'Sensitivity').ds;
  if (!o.levels.length || o.levels.some((s) => !(s >= 0 && s < 1))) throw new DatasetError('the sparsity levels must lie in [0, 1)');
  if (!(Number.isInteger(o.samples) && o.samples >= 1)) throw new DatasetError(`samples must be a whole number ≥ 1 (got ${o.samples})`);
  if (o.criterion === 'taylor') throw new DatasetError('the sensitivity sweep ranks by L1, L2, random or BN-γ (Taylor needs gradients: prune with it instead)');
  const ctx = await src.device();
  const cfg = { testSamples: Math.min(o.samples, test.count), preprocess: o.preprocess };
  const method: { granularity: Granularity; criterion: Criterion } = { granularity: o.granularity, criterion: o.criterion };
  const r = await pruneSensitivity(ctx, model, method, o.levels, test, cfg, (p) => onProgress({ phase: 'sensitivity', ...p }), signal);
  return { variant, granularity: o.granularity, criterion: o.criterion, samples: cfg.testSamples, baseline: r.baseline, curves: r.curves };
}
