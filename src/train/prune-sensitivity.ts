/**
 * Pruning sensitivity (Li et al. 2017; Distiller's sensitivity analysis): each layer pruned alone at
 * a range of sparsities, accuracy measured on test items, no fine-tuning (blocks: each
 * removed alone, one point at sparsity 1). The curves show which
 * layers tolerate pruning; `chooseSparsities` picks, per layer, the largest sparsity whose drop stays
 * within a budget, then checks the combination and backs off the most sensitive layer until the
 * whole model is within the budget too (as the mixed-precision Auto does for bit widths).
 */
import type { GpuContext } from '../gpu/context';
import type { Model } from '../model/ir';
import type { LabelledDataset } from '../data/dataset';
import { CancelledError, ModelError } from '../core/errors';
import { analyseChannels } from '../model/channels';
import { applyMasks, costOf, flopsByNode, prunableLayers, pruneMasks, type Granularity, type PruneSpec } from '../compress/prune';
import { pruneFilters } from '../compress/prune-filters';
import { chooseBlocks, pruneBlocks } from '../compress/prune-blocks';
import { testAccuracyOf, type TrainConfig } from './trainer';

export interface SensitivityPoint { sparsity: number; accuracy: number; flopsRemoved: number }
export interface SensitivityCurve {
  /** The layer (filter: the group's first producer, by which --layers names it). */
  layer: string;
  producers: string[];
  points: SensitivityPoint[];
  /** Levels that could not be applied to this layer, with the reason. */
  skipped: { sparsity: number; reason: string }[];
}
export interface SensitivityProgress { layer: string; sparsity: number; accuracy: number; done: number; total: number }

type Method = Pick<PruneSpec, 'granularity' | 'criterion'>;
type EvalConfig = Pick<TrainConfig, 'testSamples' | 'preprocess'>;

/** The model with the given layers pruned (others whole), and the FLOPs removed (masked layers: by the share of zeros, as a sparse kernel skips them). */
export function pruneLayers(model: Model, method: Method, layers: Record<string, number>): { model: Model; flopsRemoved: number } {
  const spec: PruneSpec = { ...method, sparsity: 0, layers };
  if (method.granularity === 'filter' || method.granularity === 'block') {
    const r = method.granularity === 'filter' ? pruneFilters(model, spec) : pruneBlocks(model, spec);
    return { model: r.model, flopsRemoved: costOf(model).flops - costOf(r.model).flops };
  }
  const r = pruneMasks(model, spec);
  const flops = flopsByNode(model);
  return { model: applyMasks(model, r.masks), flopsRemoved: r.layers.reduce((a, l) => a + (flops.get(l.node) ?? 0) * (l.removed / l.weights), 0) };
}

/** The layers a sensitivity sweep visits at this granularity (block: each removable block, by its Add or Concat:input). */
export function sweepLayers(model: Model, granularity: Granularity): { layer: string; producers: string[] }[] {
  if (granularity === 'block') {
    // chooseBlocks lists them (or says why there are none); nothing is removed at sparsity 0.
    return chooseBlocks(model, { granularity, criterion: 'random', sparsity: 0 }, false).blocks.map((b) => ({ layer: b.join, producers: b.layers }));
  }
  if (granularity === 'filter') {
    const groups = analyseChannels(model).groups.filter((g) => !g.pinned.length && g.size > 1);
    if (!groups.length) throw new ModelError('no channel group of this model can lose filters (all are pinned or have one channel)');
    return groups.map((g) => ({ layer: g.producers[0]!, producers: g.producers }));
  }
  return prunableLayers(model).layers.map((l) => ({ layer: l.node, producers: [l.node] }));
}

export async function pruneSensitivity(
  ctx: GpuContext, model: Model, method: Method, levels: number[], test: LabelledDataset, cfg: EvalConfig,
  onProgress?: (p: SensitivityProgress) => void, signal?: AbortSignal,
): Promise<{ baseline: number; curves: SensitivityCurve[] }> {
  const layers = sweepLayers(model, method.granularity);
  // A block is kept or removed: its one point is the model without it (sparsity 1).
  if (method.granularity === 'block') levels = [1];
  const baseline = await testAccuracyOf(ctx, model, test, cfg);
  const total = layers.length * levels.length;
  let done = 0;
  const curves: SensitivityCurve[] = [];
  for (const { layer, producers } of layers) {
    const curve: SensitivityCurve = { layer, producers, points: [], skipped: [] };
    for (const s of levels) {
      if (signal?.aborted) throw new CancelledError();
      done++;
      let pruned;
      try { pruned = pruneLayers(model, method, { [layer]: s }); } catch (e) {
        if (!(e instanceof ModelError)) throw e;
        curve.skipped.push({ sparsity: s, reason: e.message });
        continue;
      }
      const accuracy = await testAccuracyOf(ctx, pruned.model, test, cfg);
      curve.points.push({ sparsity: s, accuracy, flopsRemoved: pruned.flopsRemoved });
      onProgress?.({ layer, sparsity: s, accuracy, done, total });
    }
    curves.push(curve);
  }
  return { baseline, curves };
}

export interface ChosenSparsities {
  budgetPoints: number;
  layers: Record<string, number>;
  accuracy: number;
  flopsRemoved: number;
  /** Combinations measured while backing off. */
  evaluations: number;
}

export async function chooseSparsities(
  ctx: GpuContext, model: Model, method: Method, sweep: { baseline: number; curves: SensitivityCurve[] }, budgetPoints: number,
  test: LabelledDataset, cfg: EvalConfig,
): Promise<ChosenSparsities> {
  const floor = sweep.baseline - budgetPoints / 100;
  // Per layer, its admissible levels from the largest down; the first is the choice.
  const options = new Map(sweep.curves.map((c) => [c.layer, c.points.filter((p) => p.accuracy >= floor).sort((a, b) => b.sparsity - a.sparsity)]));
  const pick = new Map([...options.keys()].map((l) => [l, 0]));
  let evaluations = 0;
  for (;;) {
    const layers = Object.fromEntries([...options].flatMap(([l, o]) => (o[pick.get(l)!] ? [[l, o[pick.get(l)!]!.sparsity]] : [])));
    const pruned = pruneLayers(model, method, layers);
    const accuracy = await testAccuracyOf(ctx, pruned.model, test, cfg);
    evaluations++;
    if (accuracy >= floor || !Object.keys(layers).length) return { budgetPoints, layers, accuracy, flopsRemoved: pruned.flopsRemoved, evaluations };
    // Back off the layer whose own drop at its current level is the largest.
    let worst: string | null = null, worstAcc = Infinity;
    for (const [l, o] of options) {
      const p = o[pick.get(l)!];
      if (p && p.accuracy < worstAcc) { worst = l; worstAcc = p.accuracy; }
    }
    pick.set(worst!, pick.get(worst!)! + 1);
  }
}
