/**
 * The Prune card's jobs in the worker: the layers it can prune (with the groups filter pruning must
 * keep whole, and why), a picture of one layer's sparsity pattern before anything is changed, the
 * pruning run itself (train/prune-job.ts, fine-tuned on the training set the Train card loaded), and
 * the per-layer sensitivity sweep. Every job starts from the current variant's float model, so
 * prune → distil → int8 chains compose; the runtime keeps the result as a variant.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import { DatasetError, ModelError } from '../core/errors';
import type { LabelledDataset } from '../data/dataset';
import { analyseChannels } from '../model/channels';
import {
  flopsByNode, prunableLayers, pruneMasks, STRUCTURAL, weightPicture, type Criterion, type Granularity, type PruneSpec,
} from '../compress/prune';
import { filterMasks } from '../compress/prune-filters';
import { blockMasks } from '../compress/prune-blocks';
import { findBranches } from '../model/branches';
import { sparseBytes } from '../compress/sparse-format';
import { runPrune } from '../train/prune-job';
import { pruneSensitivity } from '../train/prune-sensitivity';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../train/trainer';
import { reportEvery } from './train-job';
import type { PruneLayer, PruneOptions, PruneProgress, PrunedInfo, PruneSensitivityOptions, PruneSensitivityResult, SparsityPicture } from './types';

export interface PruneSources {
  device(): Promise<GpuContext>;
  /** The loaded (test) dataset. */
  dataset(): LabelledDataset | null;
  /** The training set the Train card fetched (null until then). */
  trainingData(): LabelledDataset | null;
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

function checkOptions(o: PruneOptions): void {
  const whole = (v: number, what: string, min: number) => { if (!(Number.isInteger(v) && v >= min)) throw new DatasetError(`${what} must be a whole number ≥ ${min} (got ${v})`); };
  if (!(o.sparsity >= 0 && o.sparsity < 1)) throw new DatasetError(`the sparsity must be in [0, 1) (got ${o.sparsity})`);
  whole(o.finetuneEpochs, 'fine-tuning epochs', 0);
  whole(o.trainSamples, 'training samples', 1);
  whole(o.testSamples, 'test samples', 1);
  whole(o.batch, 'the batch', 1);
  if (!(o.lr > 0)) throw new DatasetError(`the learning rate must be > 0 (got ${o.lr})`);
  if (o.distill && !o.finetuneEpochs) throw new DatasetError('distillation happens while fine-tuning: give fine-tuning epochs');
  if (o.schedule !== 'oneshot' && !o.finetuneEpochs) throw new DatasetError(`the ${o.schedule} schedule fine-tunes between its stages: give fine-tuning epochs, or prune one-shot`);
}

export async function runPruneJob(src: PruneSources, model: Model, o: PruneOptions, onProgress: (p: PruneProgress) => void, signal?: AbortSignal): Promise<{ info: PrunedInfo; model: Model }> {
  checkOptions(o);
  const test = src.dataset();
  if (!test) throw new DatasetError('Pruning measures accuracy on the loaded test set: drop IDX image and label files first.');
  const needsTrain = o.finetuneEpochs > 0 || o.criterion === 'taylor';
  const train = o.data === 'loaded' ? test : src.trainingData();
  if (needsTrain && !train) throw new DatasetError('fine-tuning and the Taylor criterion need the training set, which is not loaded yet');
  const spec: PruneSpec = { granularity: o.granularity, criterion: o.criterion, sparsity: o.sparsity, layers: o.layers, scope: o.scope, seed: o.seed };
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG, epochs: Math.max(1, o.finetuneEpochs), batch: o.batch, lr: o.lr, schedule: { kind: 'cosine' }, seed: o.seed,
    trainSamples: Math.min(o.trainSamples, train?.count ?? o.trainSamples), testSamples: Math.min(o.testSamples, test.count), preprocess: o.preprocess,
  };
  const totalSteps = Math.ceil((cfg.trainSamples ?? 1) / cfg.batch) * o.finetuneEpochs;
  cfg.reportEvery = reportEvery(Math.max(1, totalSteps));
  const ctx = await src.device();
  onProgress({ phase: 'train', kind: 'status', status: 'preparing', totalSteps });
  const r = await runPrune(ctx, model, { spec, schedule: o.schedule, finetuneEpochs: o.finetuneEpochs, train: cfg, distill: o.distill },
    { train: train ?? test, test }, {
      signal,
      onStep: (record, p) => onProgress({ phase: 'train', kind: 'step', record, ...p }),
      onEpoch: (record) => onProgress({ phase: 'train', kind: 'epoch', record }),
    });
  const info: PrunedInfo = {
    granularity: o.granularity, criterion: o.criterion, sparsity: o.granularity === '2:4' ? 0.5 : o.sparsity, schedule: o.schedule,
    finetuneEpochs: o.finetuneEpochs, distill: o.distill, before: r.before, after: r.after, accuracy: r.accuracy, layers: r.sparsity, nonzeroFlops: r.nonzeroFlops,
    filters: r.filters?.groups ?? [], kept: r.filters?.kept ?? [], blocks: r.blocks?.blocks ?? [],
    sparseBytes: STRUCTURAL.includes(o.granularity) ? null : (({ dense, sparse }) => ({ dense, sparse }))(sparseBytes(r.model)),
  };
  return { info, model: r.model };
}

export async function runPruneSensitivity(src: PruneSources, variant: string, model: Model, o: PruneSensitivityOptions,
  onProgress: (p: PruneProgress) => void, signal?: AbortSignal): Promise<PruneSensitivityResult> {
  const test = src.dataset();
  if (!test) throw new DatasetError('Sensitivity is measured on the loaded test set: drop IDX image and label files first.');
  if (!o.levels.length || o.levels.some((s) => !(s >= 0 && s < 1))) throw new DatasetError('the sparsity levels must lie in [0, 1)');
  if (!(Number.isInteger(o.samples) && o.samples >= 1)) throw new DatasetError(`samples must be a whole number ≥ 1 (got ${o.samples})`);
  if (o.criterion === 'taylor') throw new DatasetError('the sensitivity sweep ranks by L1, L2, random or BN-γ (Taylor needs gradients: prune with it instead)');
  const ctx = await src.device();
  const cfg = { testSamples: Math.min(o.samples, test.count), preprocess: o.preprocess };
  const method: { granularity: Granularity; criterion: Criterion } = { granularity: o.granularity, criterion: o.criterion };
  const r = await pruneSensitivity(ctx, model, method, o.levels, test, cfg, (p) => onProgress({ phase: 'sensitivity', ...p }), signal);
  return { variant, granularity: o.granularity, criterion: o.criterion, samples: cfg.testSamples, baseline: r.baseline, curves: r.curves };
}
