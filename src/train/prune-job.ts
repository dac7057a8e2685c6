/**
 * A pruning run: criterion scores (Taylor's gradients measured by the trainer), the schedule's
 * stages, fine-tuning between them (optionally distilling from the unpruned model), and the
 * before / after figures. Shared by the CLI and the page's worker.
 *
 * Masked granularities (fine, vector, kernel, 2:4) prune inside one training run: at each stage the
 * trainer hands over the current weights, new masks are computed at that stage's sparsity and held
 * on the GPU from then on (Zhu & Gupta prune while training). Filter pruning rebuilds the model at
 * each stage (smaller tensors), then fine-tunes the smaller model for that stage's epochs.
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import type { LabelledDataset } from '../data/dataset';
import { CancelledError, ModelError } from '../core/errors';
import {
  applyMasks, costOf, gradualSparsity, measuredSparsity, nonzeroFlops, pruneMasks, STRUCTURAL,
  type Gradients, type MaskResult, type PruneSpec,
} from '../compress/prune';
import { pruneFilters, type FilterResult } from '../compress/prune-filters';
import { chooseBlocks, pruneBlocks, type BlockResult } from '../compress/prune-blocks';
import { findParameters } from './params';
import { testAccuracyOf, trainModel, type EpochRecord, type TrainConfig, type TrainHooks, type TrainResult } from './trainer';

import type { PruneSchedule } from '../recipe/vocabulary';

export { PRUNE_SCHEDULES, type PruneSchedule } from '../recipe/vocabulary';

export interface PruneJob {
  spec: PruneSpec;
  schedule: PruneSchedule;
  /** Pruning stages of the iterative and gradual schedules (default 4 and 8). */
  stages?: number;
  /** Fine-tuning epochs (0: prune only; then no data is needed unless the criterion is Taylor). */
  finetuneEpochs: number;
  /** Training settings of the fine-tuning and of Taylor's gradient probe; their preprocessing also feeds the test accuracy. */
  train: TrainConfig;
  /** Fine-tune by distilling from the unpruned model (Hinton's loss, cfg.loss's T and α). */
  distill: boolean;
}

export interface PruneData { train: LabelledDataset; test: LabelledDataset }

export interface Cost { params: number; bytes: number; flops: number }

export interface PruneOutcome {
  model: Model;
  /** Each stage's step (masked: training step; filter: stage index) and overall sparsity. */
  stages: { at: number; sparsity: number }[];
  masks: MaskResult['layers'] | null;
  filters: Pick<FilterResult, 'groups' | 'kept'> | null;
  /** Block pruning: every removable block (removed or not, with its score) and the Adds and Concat inputs that are not. */
  blocks: Pick<BlockResult, 'blocks' | 'refused'> | null;
  skipped: { node: string; reason: string }[];
  before: Cost;
  after: Cost;
  /** Zeros per weighted layer of the result, counted on its weights. */
  sparsity: { node: string; weights: number; zeros: number }[];
  /** The result's FLOPs of one item without the multiply-adds on zero weights (what sparse kernels compute). */
  nonzeroFlops: number;
  epochs: EpochRecord[];
  accuracy: { before: number | null; after: number | null };
}

/** The sparsity each stage reaches, ending at `final`. */
export function stageSparsities(schedule: PruneSchedule, final: number, stages?: number): number[] {
  if (schedule === 'oneshot') return [final];
  const n = stages ?? (schedule === 'iterative' ? 4 : 8);
  if (!(Number.isInteger(n) && n >= 1)) throw new ModelError(`the number of pruning stages must be a whole number ≥ 1 (got ${n})`);
  if (schedule === 'iterative') return Array.from({ length: n }, (_, i) => (final * (i + 1)) / n);
  return Array.from({ length: n }, (_, i) => gradualSparsity(i + 1, { initial: 0, final, start: 0, steps: n, every: 1 }));
}

/** The spec at a stage: every layer's own target scaled as the overall one. */
function atStage(spec: PruneSpec, s: number): PruneSpec {
  const f = spec.sparsity > 0 ? s / spec.sparsity : 1;
  return { ...spec, sparsity: s, layers: spec.layers && Object.fromEntries(Object.entries(spec.layers).map(([k, v]) => [k, v * f])) };
}

/**
 * First-order Taylor scores need ∂L/∂w. The trainer measures them: a few steps of plain SGD
 * (no momentum, no decay) at a small learning rate η move each weight by −η·g, so the mean gradient
 * over those batches is (w_before − w_after) / (η · steps).
 */
export async function measureGradients(ctx: GpuContext, model: Model, data: PruneData, cfg: TrainConfig, samples = 1024): Promise<Gradients> {
  const eta = 1e-3, batch = Math.min(128, samples);
  const probe: TrainConfig = {
    ...cfg, epochs: 1, batch, lr: eta, optimizer: 'sgd', momentum: 0, weightDecay: 0, schedule: { kind: 'constant' },
    trainSamples: Math.min(samples, data.train.count), testSamples: 1, loss: { ...cfg.loss, alpha: 0 },
  };
  const r = await trainModel(ctx, model, data.train, data.test, probe);
  const steps = r.steps_done;
  const grads: Gradients = {};
  for (const [name, role] of findParameters(model)) {
    if (role === 'state') continue;
    const w0 = model.graph.initializers[name]!.data as Float32Array, w1 = r.model.graph.initializers[name]!.data as Float32Array;
    grads[name] = Float32Array.from(w0, (v, i) => (v - w1[i]!) / (eta * steps));
  }
  return grads;
}

export async function runPrune(ctx: GpuContext, model: Model, job: PruneJob, data: PruneData | null, hooks: TrainHooks = {}): Promise<PruneOutcome> {
  const { spec } = job;
  const finetune = job.finetuneEpochs > 0;
  if ((finetune || spec.criterion === 'taylor') && !data) throw new ModelError(`${finetune ? 'fine-tuning' : 'the Taylor criterion'} needs training data`);
  if (job.distill && !finetune) throw new ModelError('distillation happens while fine-tuning: give fine-tuning epochs');
  const itemShape = data?.train.itemShape;
  const before = costOf(model, itemShape);
  checkPruneSpec(model, spec, itemShape);
  const grads = spec.criterion === 'taylor' ? await measureGradients(ctx, model, data!, job.train) : undefined;
  const sparsities = spec.granularity === '2:4' ? [0.5] : stageSparsities(job.schedule, spec.sparsity, job.stages);
  const teacher = job.distill ? model : null;
  const cfg = finetune ? { ...job.train, epochs: job.finetuneEpochs, loss: { ...job.train.loss, alpha: job.distill ? job.train.loss.alpha : 0 } } : null;
  const accuracyBefore = data ? await testAccuracyOf(ctx, model, data.test, job.train) : null;
  const epochs: EpochRecord[] = [];
  let result: Model, masksOut: MaskResult | null = null, filters: FilterResult | null = null, blocks: BlockResult | null = null;
  const removedBlocks = new Set<string>();
  const stages: PruneOutcome['stages'] = [];

  if (!STRUCTURAL.includes(spec.granularity)) {
    if (!cfg) {
      masksOut = pruneMasks(model, spec, grads);
      result = applyMasks(model, masksOut.masks);
      stages.push({ at: 0, sparsity: spec.granularity === '2:4' ? 0.5 : spec.sparsity });
    } else {
      // Stages spread over the first half of training; the second half fine-tunes at the final masks.
      const steps = Math.ceil(Math.min(cfg.trainSamples ?? data!.train.count, data!.train.count) / cfg.batch) * cfg.epochs;
      const every = Math.max(1, Math.floor(steps / 2 / sparsities.length));
      const at = sparsities.map((_, i) => i * every);
      sparsities.forEach((s, i) => stages.push({ at: at[i]!, sparsity: s }));
      const r = await trainModel(ctx, model, data!.train, data!.test, cfg, teacher, {
        ...hooks,
        masks: {
          at,
          masksFor: (current, step) => {
            masksOut = pruneMasks(current, atStage(spec, sparsities[at.indexOf(step)]!), grads);
            return masksOut.masks;
          },
        },
      });
      finished(r);
      epochs.push(...r.epochs);
      result = r.model;
    }
  } else {
    result = model;
    let prev = 0;
    const totalEpochs = cfg?.epochs ?? 0;
    for (const [i, s] of sparsities.entries()) {
      // Each stage removes the share of the channels still there that brings the total to s.
      const rel = prev >= 1 ? 0 : 1 - (1 - s) / (1 - prev);
      // Taylor: the gradients of the model as it is at this stage (the first stage's were measured above).
      if (spec.granularity === 'block') {
        blocks = pruneBlocks(result, atStage(spec, rel), i === sparsities.length - 1 && !removedBlocks.size);
        for (const a of blocks.remove) removedBlocks.add(a);
        result = blocks.model;
      } else {
        const g = spec.criterion === 'taylor' && i > 0 ? await measureGradients(ctx, result, data!, job.train) : grads;
        filters = pruneFilters(result, atStage(spec, rel), g, itemShape);
        result = filters.model;
      }
      stages.push({ at: i, sparsity: s });
      prev = s;
      const e = Math.floor((totalEpochs * (i + 1)) / sparsities.length) - Math.floor((totalEpochs * i) / sparsities.length);
      if (cfg && e > 0) {
        const r = await trainModel(ctx, result, data!.train, data!.test, { ...cfg, epochs: e }, teacher, hooks);
        finished(r);
        epochs.push(...r.epochs);
        result = r.model;
      }
    }
  }
  const accuracyAfter = data ? (epochs.at(-1)?.testAccuracy ?? await testAccuracyOf(ctx, result, data.test, job.train)) : null;
  return {
    model: result, stages,
    masks: masksOut ? (masksOut as MaskResult).layers : null,
    filters: filters ? { groups: summedGroups(model, result, filters), kept: filters.kept } : null,
    blocks: blocks ? blockReport(model, spec, removedBlocks) : null,
    skipped: (masksOut as MaskResult | null)?.skipped ?? [],
    before, after: costOf(result, itemShape), sparsity: measuredSparsity(result), nonzeroFlops: nonzeroFlops(result, itemShape), epochs,
    accuracy: { before: accuracyBefore, after: accuracyAfter },
  };
}

/** A cancelled fine-tuning ends the job (the unpruned variant stays); a diverged one says why. */
function finished(r: TrainResult): void {
  if (r.outcome === 'cancelled') throw new CancelledError();
  if (r.outcome !== 'finished') throw new ModelError(`fine-tuning the pruned model stopped: ${r.message ?? r.outcome}`);
}

/** Channel counts from the original to the result, per group of the last stage (stages compound). */
function summedGroups(original: Model, result: Model, last: FilterResult): FilterResult['groups'] {
  const outChannels = (m: Model, node: string) => {
    const n = m.graph.nodes.find((x) => x.name === node);
    const w = n && m.graph.initializers[n.inputs[1] ?? ''];
    if (!w) return undefined;
    return n.opType === 'Conv' || (n.opType === 'Gemm' && n.attrs.transB?.type === 'int' && n.attrs.transB.value === 1) ? w.dims[0] : w.dims[1];
  };
  return last.groups.map((g) => ({ ...g, before: outChannels(original, g.producers[0]!) ?? g.before, after: outChannels(result, g.producers[0]!) ?? g.after }));
}

/**
 * Refuses a spec the model cannot take, before any data is read or GPU work starts: a dry run at
 * the final sparsity (Taylor's gradients stood in for by zeros).
 */
export function checkPruneSpec(model: Model, spec: PruneSpec, itemShape?: number[]): void {
  const grads = spec.criterion === 'taylor' ? zeroGrads(model) : undefined;
  if (spec.granularity === 'filter') pruneFilters(model, spec, grads, itemShape);
  else if (spec.granularity === 'block') pruneBlocks(model, spec);
  else pruneMasks(model, spec, grads);
}

/** Every block of the original, marked removed when any stage removed it (later stages see fewer). */
function blockReport(original: Model, spec: PruneSpec, removed: ReadonlySet<string>): NonNullable<PruneOutcome['blocks']> {
  const { blocks, refused } = chooseBlocks(original, { ...spec, sparsity: 0, layers: undefined }, false);
  return { blocks: blocks.map((b) => ({ ...b, removed: removed.has(b.join) })), refused };
}

const zeroGrads = (model: Model): Gradients => Object.fromEntries([...findParameters(model)].map(([n]) => [n, new Float32Array(model.graph.initializers[n]!.data.length)]));

