/**
 * Filter pruning: output channels removed for real, by channel groups (model/channels.ts). Each
 * group that may change loses its lowest-scoring channels (L1 / L2 of the producers' weights, Taylor,
 * BatchNorm γ, or random) and every tensor tied to the group is sliced, so the model gets smaller on
 * any runtime. `filterMasks` shows the same choice as masks, for the sparsity picture.
 */
import { ModelError } from '../core/errors';
import { makeRng } from '../core/rng';
import type { Model } from '../model/ir';
import { analyseChannels, channelAt, shrinkChannels, type Analysis } from '../model/channels';
import { checkLayerNames, checkSparsity, type Criterion, type Gradients, type PruneSpec } from './prune';

export interface FilterGroupReport {
  producers: string[];
  before: number;
  after: number;
}

export interface FilterResult {
  model: Model;
  groups: FilterGroupReport[];
  /** Groups kept whole, with the reason (pinned by the dependency analysis, or asked for 0). */
  kept: { producers: string[]; channels: number; reason: string }[];
}

/** Producer-side tensors of a group (weights, biases, BatchNorm entries), for scoring its channels. */
function channelScores(model: Model, an: Analysis, groupId: number, size: number, criterion: Criterion, grads: Gradients | undefined, rng: () => number): Float64Array {
  const scores = new Float64Array(size);
  if (criterion === 'random') return scores.map(() => rng());
  const g = model.graph;
  const producerWeights = new Set<string>(), bnScales = new Set<string>();
  for (const n of g.nodes) {
    if (['Conv', 'Gemm', 'MatMul'].includes(n.opType) && n.inputs[1]) producerWeights.add(n.inputs[1]);
    if (n.opType === 'BatchNormalization' && n.inputs[1]) bnScales.add(n.inputs[1]);
  }
  const ties = an.ties.filter((t) => t.group === groupId && !t.reads && (criterion === 'bn' ? bnScales.has(t.tensor) : producerWeights.has(t.tensor)));
  if (!ties.length && criterion === 'bn') throw new ModelError('the BatchNorm-γ criterion needs a BatchNormalization after the layer; this group has none (use l1 or l2)');
  for (const t of ties) {
    const w = g.initializers[t.tensor]!;
    const data = w.data as Float32Array, grad = grads?.[t.tensor];
    if (criterion === 'taylor' && !grad) throw new ModelError(`the Taylor criterion needs gradients for '${t.tensor}'`);
    const inner = w.dims.slice(t.axis + 1).reduce((a, d) => a * d, 1), along = w.dims[t.axis]!;
    const outer = w.dims.slice(0, t.axis).reduce((a, d) => a * d, 1);
    const part = new Float64Array(size);
    for (let o = 0; o < outer; o++) for (let a = 0; a < along; a++) {
      const c = channelAt(t, Math.floor(a / t.block));
      if (c < 0) continue;
      for (let i = 0; i < inner; i++) {
        const idx = (o * along + a) * inner + i, v = data[idx]!;
        part[c]! += criterion === 'l1' || criterion === 'bn' ? Math.abs(v) : criterion === 'l2' ? v * v : v * grad![idx]!;
      }
    }
    for (let c = 0; c < size; c++) scores[c]! += part[c]!;
  }
  if (criterion === 'taylor') return scores.map(Math.abs);
  return criterion === 'l2' ? scores.map(Math.sqrt) : scores;
}

/**
 * Filter pruning: each channel group that may change loses the lowest-scoring fraction of its
 * channels, and every tensor tied to it is sliced (model/channels.ts shrinkChannels). Groups the
 * analysis pins are kept whole and reported with the reason; a layer named in `layers` that is
 * pinned, or a sparsity that would leave a layer no channel, is refused.
 */
export function pruneFilters(model: Model, spec: PruneSpec, grads?: Gradients, itemShape?: number[]): FilterResult {
  const choice = chooseFilters(model, spec, grads, itemShape);
  return { model: shrinkChannels(model, choice.keep, itemShape, choice.analysis), groups: choice.groups, kept: choice.kept };
}

/** The channels each group keeps (by group id), before anything is sliced: what pruneFilters removes, and what the sparsity picture shows. */
export function chooseFilters(model: Model, spec: PruneSpec, grads?: Gradients, itemShape?: number[]):
  { keep: Map<number, number[]>; groups: FilterGroupReport[]; kept: FilterResult['kept']; analysis: Analysis } {
  checkSparsity(spec.sparsity, 'the sparsity');
  const an = analyseChannels(model, itemShape);
  const producers = an.groups.flatMap((g) => g.producers);
  checkLayerNames(spec.layers, producers);
  const rng = makeRng(spec.seed ?? 1);
  const keep = new Map<number, number[]>();
  const groups: FilterGroupReport[] = [], kept: FilterResult['kept'] = [];
  for (const gr of an.groups) {
    const named = gr.producers.map((p) => spec.layers?.[p]).filter((s): s is number => s !== undefined);
    const s = named.length ? Math.max(...named) : spec.sparsity;
    checkSparsity(s, `the sparsity of ${gr.producers.join('+')}`);
    if (gr.pinned.length) {
      if (named.length && s > 0) throw new ModelError(`the channels of ${gr.producers.join('+')} cannot be pruned: ${gr.pinned[0]}`);
      kept.push({ producers: gr.producers, channels: gr.size, reason: gr.pinned[0]! });
      continue;
    }
    const k = Math.round(gr.size * (1 - s));
    if (k === gr.size) { if (s > 0) kept.push({ producers: gr.producers, channels: gr.size, reason: `${gr.size} channels at sparsity ${s} round to none removed` }); continue; }
    if (k < 1) throw new ModelError(`${gr.producers.join('+')} has ${gr.size} channel${gr.size === 1 ? '' : 's'}; sparsity ${s} would remove all of them (at most ${((gr.size - 1) / gr.size).toFixed(3)} leaves one)`);
    const scores = channelScores(model, an, gr.id, gr.size, spec.criterion, grads, rng);
    const order = Array.from({ length: gr.size }, (_, c) => c).sort((a, b) => scores[b]! - scores[a]! || a - b);
    keep.set(gr.id, order.slice(0, k).sort((a, b) => a - b));
    groups.push({ producers: gr.producers, before: gr.size, after: k });
  }
  if (!groups.length) {
    throw new ModelError(`no channel group can lose channels at sparsity ${spec.sparsity}${kept.length ? `: ${kept.map((k) => `${k.producers.join('+')} (${k.reason})`).join('; ')}` : ' (the model has no Conv / Gemm / MatMul with stored weights)'}`);
  }
  return { keep, groups, kept, analysis: an };
}

/** For each weight tensor, 0 where filter pruning would drop it (its output channel, or an input channel it reads). */
export function filterMasks(model: Model, spec: PruneSpec, grads?: Gradients, itemShape?: number[]): Record<string, Uint8Array> {
  const { keep, analysis } = chooseFilters(model, spec, grads, itemShape);
  const masks: Record<string, Uint8Array> = {};
  for (const t of analysis.ties) {
    const k = keep.get(t.group);
    const w = model.graph.initializers[t.tensor];
    if (!k || !w) continue;
    const kept = new Set(k);
    const m = (masks[t.tensor] ??= new Uint8Array(w.data.length).fill(1));
    const inner = w.dims.slice(t.axis + 1).reduce((a, d) => a * d, 1), along = w.dims[t.axis]!;
    const outer = w.dims.slice(0, t.axis).reduce((a, d) => a * d, 1);
    for (let o = 0; o < outer; o++) for (let a = 0; a < along; a++) {
      const c = channelAt(t, Math.floor(a / t.block));
      if (c < 0 || kept.has(c)) continue;
      m.fill(0, (o * along + a) * inner, (o * along + a + 1) * inner);
    }
  }
  return masks;
}
