/**
 * Block pruning: whole blocks go — residual blocks, and branches of a channel Concat
 * (model/branches.ts finds and removes them). The sparsity is the share of the removable blocks
 * removed; they are ranked by the weights of the layer that ends each branch (whose scale, in an
 * eval-mode export, carries the folded BatchNorm γ), times the mean |γ| of a BatchNormalization
 * after it when the model keeps one; 'bn' ranks by that γ alone, 'random' is the control. A branch
 * whose output is small adds little to its skip, or to the layers reading the Concat.
 */
import { ModelError } from '../core/errors';
import { makeRng } from '../core/rng';
import type { Model, Node, TensorData } from '../model/ir';
import { emptiedConcat, findBranches, removeBranches, type BranchAnalysis, type Branch } from '../model/branches';
import type { PruneSpec } from './prune';

export interface BlockChoice {
  /** The Adds whose branches go, in graph order. */
  remove: string[];
  /** Every removable block with its score and layers, removed or not. */
  blocks: { join: string; layers: string[]; score: number; removed: boolean }[];
  /** Adds that are not removable blocks, with the reason. */
  refused: BranchAnalysis['refused'];
  analysis: BranchAnalysis;
}

export interface BlockResult extends Omit<BlockChoice, 'analysis'> { model: Model }

/** Nodes by the names branches use (a node's name, or its first output's). */
const nodesByName = (model: Model): Map<string, Node> => new Map(model.graph.nodes.map((n) => [n.name || n.outputs[0]!, n]));

function meanOf(t: TensorData | undefined, f: (v: number) => number): number {
  if (!t || !t.data.length || t.dtype !== 'float32') return 0;
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += f(Number(t.data[i]));
  return s / t.data.length;
}

/** A branch's score; higher is more important. */
function blockScore(model: Model, byName: Map<string, Node>, br: Branch, criterion: PruneSpec['criterion'], rng: () => number): number {
  if (criterion === 'random') return rng();
  if (criterion === 'taylor') throw new ModelError('the Taylor criterion ranks weights and filters; rank blocks by l1, l2, bn or random');
  const init = model.graph.initializers;
  const nodes = br.nodes.map((n) => byName.get(n)!);
  const lastBn = nodes.filter((n) => n.opType === 'BatchNormalization').at(-1);
  const gamma = lastBn ? meanOf(init[lastBn.inputs[1] ?? ''], Math.abs) : 1;
  if (criterion === 'bn') {
    if (!lastBn) throw new ModelError(`the BatchNorm-γ criterion needs a BatchNormalization in each block; block '${br.join}' has none (its BatchNorm may be folded into the Conv: use l1 or l2)`);
    return gamma;
  }
  const last = byName.get(br.weighted.at(-1)!)!;
  const w = init[last.inputs[1] ?? ''];
  const norm = criterion === 'l1' ? meanOf(w, Math.abs) : Math.sqrt(meanOf(w, (v) => v * v));
  // Only a BatchNorm after the last weighted layer scales the branch's output.
  return lastBn && nodes.indexOf(lastBn) > nodes.indexOf(last) ? norm * gamma : norm;
}

/**
 * The blocks to remove at `spec.sparsity` (the share of the removable ones), or those `spec.layers`
 * names with 1 (a block is removed whole or kept: 1 or 0; a sensitivity sweep's choice). `atLeastOne`
 * refuses a sparsity that rounds to no block (a job's final target); a schedule's early stage may remove none.
 */
export function chooseBlocks(model: Model, spec: PruneSpec, atLeastOne = true, analysis = findBranches(model)): BlockChoice {
  if (!(spec.sparsity >= 0 && spec.sparsity < 1)) throw new ModelError(`the share of blocks to remove must be in [0, 1) (got ${spec.sparsity})`);
  const { branches, refused } = analysis;
  if (!branches.length) {
    throw new ModelError(`no block can be removed: ${refused.length ? refused.map((r) => `'${r.join}' ${r.reason}`).join('; ') : 'the model has no residual block (x + f(x)) and no Concat of branches'}`);
  }
  const rng = makeRng(spec.seed ?? 1);
  const byName = nodesByName(model);
  const scored = branches.map((br) => ({ br, score: blockScore(model, byName, br, spec.criterion, rng) }));
  const named = Object.entries(spec.layers ?? {});
  if (named.length) {
    for (const [join, v] of named) {
      const refusal = refused.find((r) => r.join === join);
      if (refusal) throw new ModelError(`the block '${join}' cannot be removed: ${refusal.reason}`);
      if (!branches.some((br) => br.join === join)) throw new ModelError(`no removable block is called '${join}'; the blocks are: ${branches.map((br) => br.join).join(', ')}`);
      if (v !== 0 && v !== 1) throw new ModelError(`a block is removed whole or kept: give '${join}' 1 or 0, not ${v}`);
    }
    const remove = new Set(named.filter(([, v]) => v === 1).map(([a]) => a));
    return { remove: branches.filter((br) => remove.has(br.join)).map((br) => br.join), blocks: scored.map((s) => ({ join: s.br.join, layers: s.br.weighted, score: s.score, removed: remove.has(s.br.join) })), refused, analysis };
  }
  const count = Math.round(branches.length * spec.sparsity);
  if (!count && atLeastOne && spec.sparsity > 0) {
    throw new ModelError(`${branches.length} removable block${branches.length > 1 ? 's' : ''} at sparsity ${spec.sparsity} round${branches.length > 1 ? '' : 's'} to none removed (${(0.5 / branches.length).toFixed(3)} removes one)`);
  }
  const order = scored.map((_, i) => i).sort((a, b) => scored[a]!.score - scored[b]!.score || a - b);
  // Lowest first, but never every input of one Concat (it would have nothing left to join).
  const gone = new Set<number>();
  for (const i of order) {
    if (gone.size === count) break;
    if (!emptiedConcat(model, [...[...gone].map((k) => branches[k]!.join), branches[i]!.join])) gone.add(i);
  }
  return {
    remove: branches.filter((_, i) => gone.has(i)).map((br) => br.join),
    blocks: scored.map((s, i) => ({ join: s.br.join, layers: s.br.weighted, score: s.score, removed: gone.has(i) })),
    refused, analysis,
  };
}

/** `model` without its lowest-ranked blocks (see chooseBlocks). */
export function pruneBlocks(model: Model, spec: PruneSpec, atLeastOne = true): BlockResult {
  const { analysis, ...choice } = chooseBlocks(model, spec, atLeastOne);
  return { ...choice, model: choice.remove.length ? removeBranches(model, choice.remove, analysis) : model };
}

/**
 * For the sparsity picture: every weight of a removed block's layers is removed, the rest kept. A
 * model without blocks shows its weights whole (the card's blocks table says why none can go).
 */
export function blockMasks(model: Model, spec: PruneSpec): Record<string, Uint8Array> {
  const masks: Record<string, Uint8Array> = {};
  const analysis = findBranches(model);
  if (!analysis.branches.length) return masks;
  const byName = nodesByName(model);
  for (const b of chooseBlocks(model, spec, true, analysis).blocks) {
    for (const layer of b.layers) {
      const w = byName.get(layer)?.inputs[1];
      const t = w ? model.graph.initializers[w] : undefined;
      if (w && t) masks[w] = new Uint8Array(t.data.length).fill(b.removed ? 0 : 1);
    }
  }
  return masks;
}
