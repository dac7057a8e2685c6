/**
 * Pruning: which weights to remove, at five granularities, by one of five criteria.
 *
 * Every weighted layer (Conv, Gemm, MatMul with a stored float weight) is viewed as N outputs × K
 * inputs (a Conv's K = C·kh·kw, in its stored order). A granularity is the run of consecutive K it
 * removes together: fine 1 weight; vector one kernel row (kw weights; a dense layer's 4 inputs);
 * kernel one whole kh×kw kernel (a dense layer after a Flatten: the block of inputs one channel
 * became); 2:4 keeps the 2 best of every 4 consecutive inputs (the sparse tensor cores' pattern).
 * Those four keep tensor shapes and zero weights under a mask. Filter pruning removes output
 * channels for real, by channel groups (model/channels.ts): every layer tied to a group loses the
 * same channels, and the model gets smaller on any runtime (prune-filters.ts). Block pruning
 * (prune-blocks.ts) removes whole blocks (residual blocks, Concat branches).
 */
import { ModelError } from '../core/errors';
import { makeRng } from '../core/rng';
import { attrInt, type Model } from '../model/ir';
import { analyseChannels, type Analysis } from '../model/channels';
import { resolveGraph } from '../model/resolve';
import { layerStats, modelSize } from '../model/stats';

import type { Criterion, Granularity } from '../recipe/vocabulary';

export { CRITERIA, GRANULARITIES, STRUCTURAL, type Criterion, type Granularity } from '../recipe/vocabulary';
type MaskGranularity = Exclude<Granularity, 'filter' | 'block'>;

export interface PruneSpec {
  granularity: Granularity;
  criterion: Criterion;
  /** Fraction of each layer's weights (filter: channels; block: the removable blocks) to remove, in [0, 1); 2:4 is always 0.5. */
  sparsity: number;
  /** Per-layer sparsity by node name (a filter group by any of its producers); overrides `sparsity`. */
  layers?: Record<string, number>;
  /** 'layer': every layer at its sparsity; 'global': one threshold over all layers (fine/vector/kernel). */
  scope?: 'layer' | 'global';
  /** Seed of the random criterion. */
  seed?: number;
}

/** A weighted layer as the masks see it. */
export interface PrunableLayer {
  node: string;
  opType: string;
  weight: string;
  /** Outputs and inputs per output. */
  N: number;
  K: number;
  /** Weight (n, k) sits at n·K + k when true, else at k·N + n (a Gemm without transB, a MatMul). */
  rowsAreOutputs: boolean;
  /** Consecutive K that make one kernel row / one kernel (a Conv's kw and kh·kw; a dense layer's 4 and its flatten block). */
  row: number;
  kernel: number;
}

/** ∂L/∂w per weight tensor, for the Taylor criterion (train/taylor.ts measures them). */
export type Gradients = Record<string, Float32Array>;

export function checkSparsity(s: number, what: string): void {
  if (!(s >= 0 && s < 1)) throw new ModelError(`${what} must be in [0, 1): ${s} would remove ${s >= 1 ? 'everything' : 'nothing meaningful'}`);
}

/** The weighted layers masks can prune, and those they cannot, with the reason. */
export function prunableLayers(model: Model, an?: Analysis): { layers: PrunableLayer[]; skipped: { node: string; reason: string }[] } {
  const g = model.graph;
  const layers: PrunableLayer[] = [], skipped: { node: string; reason: string }[] = [];
  const flattenBlock = new Map<string, number>();
  for (const t of an?.ties ?? []) if (t.reads && t.block > 1) flattenBlock.set(t.tensor, t.block);
  for (const n of g.nodes) {
    if (n.domain !== '' || !['Conv', 'Gemm', 'MatMul'].includes(n.opType)) continue;
    const w = g.initializers[n.inputs[1] ?? ''];
    if (!w) { skipped.push({ node: n.name, reason: 'its weights are computed at run time, not stored' }); continue; }
    if (w.dtype !== 'float32') { skipped.push({ node: n.name, reason: `its weights are ${w.dtype}, not float32` }); continue; }
    if (n.opType === 'Conv') {
      const [M, C, ...spatial] = w.dims;
      const kw = spatial.at(-1) ?? 1, khw = spatial.reduce((a, d) => a * d, 1);
      layers.push({ node: n.name, opType: n.opType, weight: n.inputs[1]!, N: M!, K: C! * khw, rowsAreOutputs: true, row: kw, kernel: khw });
      continue;
    }
    if (w.dims.length !== 2) { skipped.push({ node: n.name, reason: `its weight has ${w.dims.length} dims, not 2` }); continue; }
    if (n.opType === 'Gemm' && attrInt(n, 'transA', 0)) { skipped.push({ node: n.name, reason: 'Gemm with transA=1' }); continue; }
    const rowsAreOutputs = n.opType === 'Gemm' && attrInt(n, 'transB', 0) === 1;
    const [N, K] = rowsAreOutputs ? [w.dims[0]!, w.dims[1]!] : [w.dims[1]!, w.dims[0]!];
    layers.push({ node: n.name, opType: n.opType, weight: n.inputs[1]!, N, K, rowsAreOutputs, row: Math.min(4, K), kernel: flattenBlock.get(n.inputs[1]!) ?? 1 });
  }
  return { layers, skipped };
}

/** Consecutive inputs one unit spans at this granularity. */
function unitSize(l: PrunableLayer, gran: MaskGranularity): number {
  return gran === 'fine' ? 1 : gran === 'vector' ? l.row : gran === 'kernel' ? l.kernel : 4;
}

/** Index of weight (n, k) in the stored tensor. */
const at = (l: PrunableLayer, n: number, k: number) => (l.rowsAreOutputs ? n * l.K + k : k * l.N + n);

interface Unit { layer: number; n: number; k0: number; size: number; score: number }

/** Each unit's score; higher is more important. */
function scoreUnits(l: PrunableLayer, li: number, w: Float32Array, u: number, criterion: Criterion, grad: Float32Array | undefined, rng: () => number): Unit[] {
  if (criterion === 'bn') throw new ModelError('the BatchNorm-γ criterion ranks whole filters: use it with --granularity filter');
  if (criterion === 'taylor' && !grad) throw new ModelError(`the Taylor criterion needs gradients for '${l.node}' (measured on training data)`);
  const units: Unit[] = [];
  for (let n = 0; n < l.N; n++) {
    for (let k0 = 0; k0 < l.K; k0 += u) {
      const size = Math.min(u, l.K - k0);
      let s = 0;
      if (criterion === 'random') s = rng();
      else {
        for (let k = k0; k < k0 + size; k++) {
          const i = at(l, n, k), v = w[i]!;
          s += criterion === 'l1' ? Math.abs(v) : criterion === 'l2' ? v * v : v * grad![i]!;
        }
        s = criterion === 'l2' ? Math.sqrt(s) : Math.abs(s); // Taylor: |Σ w·∂L/∂w|, Molchanov et al.'s first order term
      }
      units.push({ layer: li, n, k0, size, score: s });
    }
  }
  return units;
}

/** Ascending score, ties by position: the units to remove come first, deterministically. */
const byScore = (a: Unit, b: Unit) => a.score - b.score || a.layer - b.layer || a.n - b.n || a.k0 - b.k0;

export interface MaskResult {
  /** 1 keeps, 0 removes; per weight tensor, in its stored order. */
  masks: Record<string, Uint8Array>;
  layers: { node: string; weights: number; removed: number }[];
  skipped: { node: string; reason: string }[];
}

/** Masks for the fine / vector / kernel / 2:4 granularities. */
export function pruneMasks(model: Model, spec: PruneSpec, grads?: Gradients): MaskResult {
  const gran = spec.granularity;
  if (gran === 'filter' || gran === 'block') throw new ModelError(`${gran} pruning rebuilds the model: use ${gran === 'filter' ? 'pruneFilters' : 'pruneBlocks'}`);
  checkSparsity(spec.sparsity, 'the sparsity');
  const an = safeAnalysis(model);
  const { layers, skipped } = prunableLayers(model, an);
  if (!layers.length) throw new ModelError(`the model has no layer with stored float weights to prune${skipped.length ? ` (${skipped.map((s) => `${s.node}: ${s.reason}`).join('; ')})` : ''}`);
  checkLayerNames(spec.layers, layers.map((l) => l.node));
  const rng = makeRng(spec.seed ?? 1);
  const masks: Record<string, Uint8Array> = {};
  const weights = layers.map((l) => model.graph.initializers[l.weight]!.data as Float32Array);
  for (const l of layers) masks[l.weight] = new Uint8Array(l.N * l.K).fill(1);
  const clear = (l: PrunableLayer, unit: Unit) => { for (let k = unit.k0; k < unit.k0 + unit.size; k++) masks[l.weight]![at(l, unit.n, k)] = 0; };
  const sparsityOf = (l: PrunableLayer) => {
    const s = spec.layers?.[l.node] ?? spec.sparsity;
    checkSparsity(s, `the sparsity of '${l.node}'`);
    return s;
  };

  if (gran === '2:4') {
    // Within each run of 4 inputs the 2 lowest-scoring weights go; the rest of a short tail keeps half.
    layers.forEach((l, li) => {
      if (spec.layers && spec.layers[l.node] === 0) return;
      const units = scoreUnits(l, li, weights[li]!, 1, spec.criterion, grads?.[l.weight], rng);
      for (let n = 0; n < l.N; n++) {
        for (let k0 = 0; k0 < l.K; k0 += 4) {
          const run = units.slice(n * l.K + k0, n * l.K + Math.min(l.K, k0 + 4)).sort(byScore);
          for (const u of run.slice(0, Math.floor(run.length / 2))) clear(l, u);
        }
      }
    });
  } else if ((spec.scope ?? 'layer') === 'global' && !spec.layers) {
    // One threshold: units compared by their mean per-weight score, removed until S of all weights go.
    const all = layers.flatMap((l, li) => scoreUnits(l, li, weights[li]!, unitSize(l, gran), spec.criterion, grads?.[l.weight], rng))
      .map((u) => ({ ...u, score: spec.criterion === 'random' ? u.score : u.score / u.size }));
    all.sort(byScore);
    const target = Math.round(spec.sparsity * layers.reduce((a, l) => a + l.N * l.K, 0));
    let removed = 0;
    for (const u of all) {
      if (removed >= target) break;
      clear(layers[u.layer]!, u);
      removed += u.size;
    }
  } else {
    layers.forEach((l, li) => {
      const s = sparsityOf(l);
      const units = scoreUnits(l, li, weights[li]!, unitSize(l, gran), spec.criterion, grads?.[l.weight], rng).sort(byScore);
      const target = Math.round(s * l.N * l.K);
      let removed = 0;
      for (const u of units) {
        if (removed + u.size / 2 > target) break; // the unit count nearest the asked sparsity
        clear(l, u);
        removed += u.size;
      }
    });
  }
  return {
    masks,
    layers: layers.map((l) => ({ node: l.node, weights: l.N * l.K, removed: masks[l.weight]!.reduce((a, m) => a + (m ? 0 : 1), 0) })),
    skipped,
  };
}

export function checkLayerNames(layers: Record<string, number> | undefined, known: string[]): void {
  const unknown = Object.keys(layers ?? {}).filter((n) => !known.includes(n));
  if (unknown.length) throw new ModelError(`no prunable layer is called ${unknown.map((u) => `'${u}'`).join(', ')}; the layers are: ${known.join(', ')}`);
}

/** Channel analysis when the graph allows it; masks do not need it (only a dense layer's flatten block). */
function safeAnalysis(model: Model): Analysis | undefined {
  try { return analyseChannels(model); } catch { return undefined; }
}

/** `model` with the masked weights set to zero. */
export function applyMasks(model: Model, masks: Record<string, ArrayLike<number>>): Model {
  const initializers = { ...model.graph.initializers };
  for (const [name, m] of Object.entries(masks)) {
    const t = initializers[name];
    if (!t) throw new ModelError(`the mask names '${name}', which the model does not store`);
    const data = Float32Array.from(t.data as Float32Array);
    for (let i = 0; i < data.length; i++) if (!m[i]) data[i] = 0;
    initializers[name] = { ...t, data };
  }
  return { ...model, graph: { ...model.graph, initializers } };
}

/**
 * A layer's weights laid out for a picture: a Conv as its N×C grid of kh×kw kernels (rows N·kh,
 * columns C·kw), so kernel rows, kernels and filters show as lines, tiles and bands; a dense layer
 * as N outputs × K inputs. `magnitude` is |w| / max|w|; `kept` is 0 where the mask removes the weight.
 */
export function weightPicture(model: Model, layer: string, mask?: ArrayLike<number>): { layer: string; rows: number; cols: number; magnitude: Float32Array; kept: Uint8Array; zeros: number; layout: string } {
  const l = prunableLayers(model).layers.find((x) => x.node === layer);
  if (!l) throw new ModelError(`'${layer}' is not a layer with stored float weights`);
  const w = model.graph.initializers[l.weight]!;
  const data = w.data as Float32Array;
  let max = 0;
  for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs(data[i]!));
  const conv = l.opType === 'Conv' && w.dims.length === 4;
  const [kh, kw] = conv ? [w.dims[2]!, w.dims[3]!] : [1, 1];
  const C = conv ? w.dims[1]! : l.K;
  const rows = l.N * kh, cols = C * kw;
  const magnitude = new Float32Array(rows * cols), kept = new Uint8Array(rows * cols);
  let zeros = 0;
  for (let n = 0; n < l.N; n++) for (let k = 0; k < l.K; k++) {
    const i = at(l, n, k);
    const [r, c] = conv ? [n * kh + Math.floor((k % (kh * kw)) / kw), Math.floor(k / (kh * kw)) * kw + (k % kw)] : [n, k];
    const keep = mask ? (mask[i] ? 1 : 0) : data[i] !== 0 ? 1 : 0;
    magnitude[r * cols + c] = max ? Math.abs(data[i]!) / max : 0;
    kept[r * cols + c] = keep;
    if (!keep) zeros++;
  }
  return { layer, rows, cols, magnitude, kept, zeros, layout: conv ? `${l.N} filters × ${C} input channels of ${kh}×${kw} kernels` : `${l.N} outputs × ${l.K} inputs` };
}

function statsAtBatch1(model: Model, itemShape?: number[]) {
  const input = model.graph.inputs[0]!;
  const item = input.shape.slice(1).map((d, i) => (typeof d === 'number' ? d : itemShape?.[i] ?? 1));
  return layerStats(model, resolveGraph(model, { [input.name]: [1, ...item] }));
}

/** Parameters, stored bytes and FLOPs of one item (batch 1), for before/after figures. */
export function costOf(model: Model, itemShape?: number[]): { params: number; bytes: number; flops: number } {
  const size = modelSize(model);
  return { params: size.params, bytes: size.totalBytes, flops: statsAtBatch1(model, itemShape).reduce((a, l) => a + l.flops, 0) };
}

/** FLOPs of one item per node name. */
export function flopsByNode(model: Model, itemShape?: number[]): Map<string, number> {
  return new Map(statsAtBatch1(model, itemShape).map((l) => [l.name, l.flops]));
}

/**
 * FLOPs of one item with every weighted layer's multiply-adds on zero weights left out: what a
 * sparse kernel computes (the dense count is costOf's). Each layer's FLOPs scale by its density.
 */
export function nonzeroFlops(model: Model, itemShape?: number[]): number {
  const flops = flopsByNode(model, itemShape);
  let total = [...flops.values()].reduce((a, f) => a + f, 0);
  for (const l of measuredSparsity(model)) total -= (flops.get(l.node) ?? 0) * (l.zeros / l.weights);
  return Math.round(total);
}

/** Zeros per weighted layer, as measured on the weights (whatever made them zero). */
export function measuredSparsity(model: Model): { node: string; weights: number; zeros: number }[] {
  return prunableLayers(model).layers.map((l) => {
    const d = model.graph.initializers[l.weight]!.data as Float32Array;
    let zeros = 0;
    for (let i = 0; i < d.length; i++) if (d[i] === 0) zeros++;
    return { node: l.node, weights: d.length, zeros };
  });
}

/**
 * The masks that keep a pruned model's zeros zero (1 where the weight is not 0), for the weighted
 * layers that have zeros: training a pruned variant further holds them, or the pruning is undone.
 */
export function zeroMasks(model: Model): Record<string, Uint8Array> {
  const masks: Record<string, Uint8Array> = {};
  for (const l of prunableLayers(model).layers) {
    const d = model.graph.initializers[l.weight]!.data as Float32Array;
    if (d.includes(0)) masks[l.weight] = Uint8Array.from(d, (v) => (v === 0 ? 0 : 1));
  }
  return masks;
}

/** Zhu & Gupta 2017: s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³ for t in [t₀, t₀ + nΔt]. */
export function gradualSparsity(t: number, o: { initial: number; final: number; start: number; steps: number; every: number }): number {
  if (t <= o.start) return o.initial;
  const p = Math.min(1, (t - o.start) / (o.steps * o.every));
  return o.final + (o.initial - o.final) * (1 - p) ** 3;
}

