/**
 * Channel groups: which tensors' channels must change together when a layer gets thinner. A
 * channel-rule table beside the shape rules says, per op, how channels flow: Conv and Gemm make a
 * new group; BatchNorm, activations and pooling pass theirs through; Add / Mul tie their operands'
 * groups (both sides of a residual); depthwise Conv ties its input to its output; Flatten maps a
 * channel to a block of the next Gemm's inputs. Ops that mix channels in ways not followed here
 * pin the groups they touch (kept at full width), with the reason.
 *
 * `shrinkChannels` keeps chosen channels of every group and slices every tied initializer, so the
 * result is a smaller valid model (re-checked by shape inference). Students "at a smaller width"
 * use it; filter pruning picks the channels to keep by a criterion.
 */
import { ModelError } from '../core/errors';
import type { TypedArray } from '../core/dtype';
import { attrInt, consumersOf, type Model, type Node, type TensorData } from './ir';
import { resolveGraph } from './resolve';
import type { ValueType } from './shape-rule-base';

/** Channel `c` of `group` occupies indices [c·block, (c+1)·block) along `axis` of a tensor. */
interface ChannelAxis { group: number; axis: number; block: number }

export interface ChannelGroup {
  id: number;
  /** Channels in the group. */
  size: number;
  /** The Conv / Gemm / MatMul nodes whose output channels these are. */
  producers: string[];
  /** Why the group must keep every channel (empty: it can shrink). */
  pinned: string[];
}

/** An initializer sliced when its group shrinks; `reads` marks a consumer's input side (Conv's dim 1, a Gemm's input features). */
export interface Tie { tensor: string; axis: number; block: number; group: number; reads: boolean }

export interface Analysis {
  groups: ChannelGroup[];
  ties: Tie[];
  /** Depthwise Convs whose `group` attribute follows a group's size. */
  depthwise: { node: string; group: number }[];
  /** Flattening Reshapes whose constant target shape names the feature count. */
  reshapes: { node: string; shape: string; group: number; block: number }[];
}

interface RuleContext {
  node: Node;
  /** The channel axis of input i (undefined when it has none this analysis follows). */
  axisOf(i: number): ChannelAxis | undefined;
  shape(i: number): number[] | undefined;
  outShape(i: number): number[] | undefined;
  isInitializer(i: number): boolean;
  /** Input i's value when it is constant (an initializer or folded from constants). */
  constant(i: number): TensorData | undefined;
  setOut(i: number, a: ChannelAxis): void;
  newGroup(size: number): number;
  union(a: number, b: number): void;
  /** Initializer i is sliced along `axis` with the group; `reads`: these are the channels a layer consumes. */
  tie(i: number, axis: number, group: number, opts?: { block?: number; reads?: boolean }): void;
  pin(group: number, reason: string): void;
  /** Pins every input's group: the op mixes channels in a way not followed. */
  pinInputs(reason: string): void;
  analysis: Analysis;
}

type ChannelRule = (c: RuleContext) => void;

const passThrough: ChannelRule = (c) => {
  const a = c.axisOf(0);
  if (a) c.setOut(0, a);
};

const passThroughNchw: ChannelRule = (c) => {
  const a = c.axisOf(0);
  if (!a) return;
  if (a.axis === 1 && a.block === 1) c.setOut(0, a);
  else c.pinInputs(`${c.node.opType} '${c.node.name}' sees channels on axis ${a.axis}, not NCHW's axis 1`);
};

const UNARY = ['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Clip', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Celu', 'Softplus', 'Softsign',
  'Exp', 'Log', 'Sqrt', 'Neg', 'Abs', 'Erf', 'Gelu', 'Mish', 'Dropout', 'Identity', 'Floor', 'Ceil', 'Round', 'Reciprocal', 'Sign',
  'StudioSignSTE', 'FakeQuantSTE'];
const POOLS = ['MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'LpPool'];
const ELEMENTWISE = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow', 'PRelu'];

/** Operands broadcast to one shape: every operand that carries channels on the same axis joins one group. */
const elementwise: ChannelRule = (c) => {
  const out = c.outShape(0);
  if (!out) return;
  const R = out.length;
  let joined: ChannelAxis | undefined;
  const n = c.node.inputs.length;
  for (let i = 0; i < n; i++) {
    const a = c.axisOf(i), s = c.shape(i);
    if (!a || !s) continue;
    const aligned = { ...a, axis: a.axis + R - s.length };
    if (!joined) joined = aligned;
    else if (joined.axis !== aligned.axis || joined.block !== aligned.block) {
      c.pinInputs(`${c.node.opType} '${c.node.name}' combines channels laid out differently`);
      return;
    } else c.union(joined.group, aligned.group);
  }
  if (!joined) return;
  for (let i = 0; i < n; i++) {
    const s = c.shape(i);
    if (c.axisOf(i) || !s) continue;
    const own = joined.axis - (R - s.length);
    if (own < 0 || s[own] === 1) continue; // broadcast along the channels: nothing to slice
    if (c.isInitializer(i) && joined.block === 1) c.tie(i, own, joined.group);
    else { c.pin(joined.group, `${c.node.opType} '${c.node.name}' takes operand ${i} with a value per channel that is computed, not stored`); return; }
  }
  c.setOut(0, joined);
};

const conv: ChannelRule = (c) => {
  const x = c.axisOf(0), w = c.shape(1), g = attrInt(c.node, 'group', 1);
  if (!w || !c.isInitializer(1)) { c.pinInputs(`Conv '${c.node.name}' has computed weights`); return; }
  const inC = c.shape(0)?.[1] ?? 0, M = w[0]!;
  if (g > 1 && g === inC && g === M && w[1] === 1) {
    // Depthwise: output channel k reads input channel k only, so both are one group.
    if (!x) return; // fixed input channels: nothing to follow
    c.tie(1, 0, x.group);
    if (c.node.inputs[2]) c.tie(2, 0, x.group);
    c.analysis.depthwise.push({ node: c.node.name, group: x.group });
    c.setOut(0, x);
    return;
  }
  if (g > 1) {
    if (x) c.pin(x.group, `grouped Conv '${c.node.name}' (${g} groups) splits its input channels into blocks`);
    const out = c.newGroup(M);
    c.pin(out, `grouped Conv '${c.node.name}' (${g} groups) makes its output channels in blocks`);
    c.setOut(0, { group: out, axis: 1, block: 1 });
    return;
  }
  if (x) {
    if (x.axis !== 1 || x.block !== 1) { c.pin(x.group, `Conv '${c.node.name}' reads channels laid out on axis ${x.axis}`); }
    else c.tie(1, 1, x.group, { reads: true });
  }
  const out = c.newGroup(M);
  c.tie(1, 0, out);
  if (c.node.inputs[2]) c.tie(2, 0, out);
  c.setOut(0, { group: out, axis: 1, block: 1 });
};

/** Y = X·W (+ bias): rows of W follow X's features (by blocks after a Flatten), columns are new channels. */
function dense(c: RuleContext, wIndex: number, transB: boolean, biasIndex: number | null): void {
  const w = c.shape(wIndex), x = c.axisOf(0), xs = c.shape(0);
  if (!w || w.length !== 2 || !c.isInitializer(wIndex) || !xs) { c.pinInputs(`${c.node.opType} '${c.node.name}' multiplies by a matrix that is not a stored initializer`); return; }
  const [inAxis, outAxis] = transB ? [1, 0] : [0, 1];
  if (x) {
    if (x.axis !== xs.length - 1) c.pin(x.group, `${c.node.opType} '${c.node.name}' reads channels on axis ${x.axis}, not its feature axis`);
    else c.tie(wIndex, inAxis, x.group, { block: x.block, reads: true });
  }
  const out = c.newGroup(w[outAxis]!);
  c.tie(wIndex, outAxis, out);
  if (biasIndex !== null && c.node.inputs[biasIndex]) {
    const b = c.shape(biasIndex);
    if (b && b.length && b.at(-1) !== 1) {
      if (c.isInitializer(biasIndex)) c.tie(biasIndex, b.length - 1, out);
      else c.pin(out, `${c.node.opType} '${c.node.name}' adds a computed bias`);
    }
  }
  c.setOut(0, { group: out, axis: (c.outShape(0)?.length ?? 2) - 1, block: 1 });
}

/** Folds the trailing dims from `from` into one axis; the channels stay whole blocks only when they lead the folded dims. */
function flattenFrom(c: RuleContext, from: number, reshapeShape?: string): void {
  const a = c.axisOf(0), s = c.shape(0);
  if (!a || !s) return;
  if (a.axis !== from || from === 0) { c.pinInputs(`${c.node.opType} '${c.node.name}' folds channels between other dims`); return; }
  const block = a.block * s.slice(from + 1).reduce((p, d) => p * d, 1);
  c.setOut(0, { group: a.group, axis: 1, block });
  if (reshapeShape) c.analysis.reshapes.push({ node: c.node.name, shape: reshapeShape, group: a.group, block });
}

/** How each op moves channels; ops not listed pin the groups of their inputs. */
export const CHANNEL_RULES: Readonly<Record<string, ChannelRule>> = {
  ...Object.fromEntries(UNARY.map((op) => [op, passThrough])),
  ...Object.fromEntries(POOLS.map((op) => [op, passThroughNchw])),
  ...Object.fromEntries(ELEMENTWISE.map((op) => [op, elementwise])),
  Conv: conv,
  Gemm: (c) => {
    if (attrInt(c.node, 'transA', 0)) { c.pinInputs(`Gemm '${c.node.name}' transposes its input`); return; }
    dense(c, 1, attrInt(c.node, 'transB', 0) === 1, 2);
  },
  MatMul: (c) => dense(c, 1, false, null),
  BatchNormalization: (c) => {
    const a = c.axisOf(0);
    if (!a) return;
    if (a.axis !== 1 || a.block !== 1) { c.pinInputs(`BatchNormalization '${c.node.name}' normalises axis 1, which does not hold the channels here`); return; }
    for (let i = 1; i <= 4; i++) {
      if (!c.isInitializer(i)) { c.pin(a.group, `BatchNormalization '${c.node.name}' has computed parameters`); return; }
      c.tie(i, 0, a.group);
    }
    c.setOut(0, a);
  },
  Flatten: (c) => {
    const s = c.shape(0);
    const axis = attrInt(c.node, 'axis', 1);
    flattenFrom(c, axis < 0 ? axis + (s?.length ?? 0) : axis);
  },
  Reshape: (c) => {
    const s = c.shape(0), o = c.outShape(0);
    const a = c.axisOf(0);
    if (!a || !s || !o) return;
    // [N, C, H, W] → [N, C·H·W] is a Flatten; any other reshape may split or merge channels. A target
    // of [N, -1] needs nothing when the channels shrink; a stored [N, 400] is rewritten.
    const target = c.constant(1);
    const wild = target ? Number(Array.from(target.data as BigInt64Array)[1]) === -1 : false;
    if (o.length === 2 && s.length >= 2 && o[0] === s[0] && (wild || c.isInitializer(1))) flattenFrom(c, 1, wild ? undefined : c.node.inputs[1]);
    else c.pinInputs(`Reshape '${c.node.name}' regroups channels (${s.join('×')} → ${o.join('×')})`);
  },
};

class UnionFind {
  parent: number[] = [];
  add(): number { this.parent.push(this.parent.length); return this.parent.length - 1; }
  find(a: number): number { while (this.parent[a] !== a) a = this.parent[a] = this.parent[this.parent[a]!]!; return a; }
}

/** The first input's shape at batch 2 (a fixed batch stays); symbolic item dims come from `itemShape`. */
function probeShape(model: Model, itemShape?: number[]): number[] {
  const dims = model.graph.inputs[0]!.shape;
  const item = dims.slice(1);
  const fromData = itemShape && itemShape.length === item.length ? itemShape : null;
  return [typeof dims[0] === 'number' ? dims[0] : 2, ...item.map((d, i) => (typeof d === 'number' ? d : fromData?.[i] ?? 1))];
}

/** Groups, ties and pins for a model whose first input is fed items of `itemShape` (resolved at batch 2). */
export function analyseChannels(model: Model, itemShape?: number[]): Analysis {
  const g = model.graph;
  const input = g.inputs[0];
  if (!input) throw new ModelError('the model has no input');
  const resolved = resolveGraph(model, { [input.name]: probeShape(model, itemShape) });
  const values: Record<string, ValueType> = resolved.values;
  const uf = new UnionFind();
  const sizes: number[] = [], producers: string[][] = [], pins: string[][] = [];
  const raw: Analysis = { groups: [], ties: [], depthwise: [], reshapes: [] };
  const axes = new Map<string, ChannelAxis>();
  for (const node of resolved.nodes) {
    const rule = Object.hasOwn(CHANNEL_RULES, node.opType) ? CHANNEL_RULES[node.opType] : undefined;
    const c: RuleContext = {
      node, analysis: raw,
      axisOf: (i) => (node.inputs[i] ? axes.get(node.inputs[i]!) : undefined),
      shape: (i) => (node.inputs[i] ? values[node.inputs[i]!]?.shape : undefined),
      outShape: (i) => (node.outputs[i] ? values[node.outputs[i]!]?.shape : undefined),
      isInitializer: (i) => Boolean(node.inputs[i] && Object.hasOwn(g.initializers, node.inputs[i]!)),
      constant: (i) => (node.inputs[i] ? resolved.constants[node.inputs[i]!] : undefined),
      setOut: (i, a) => { if (node.outputs[i]) axes.set(node.outputs[i]!, a); },
      newGroup: (size) => { const id = uf.add(); sizes.push(size); producers.push([node.name]); pins.push([]); return id; },
      union: (a, b) => {
        const [ra, rb] = [uf.find(a), uf.find(b)];
        if (ra === rb) return;
        if (sizes[ra] !== sizes[rb]) { pins[ra]!.push(`'${node.name}' joins ${sizes[ra]} and ${sizes[rb]} channels`); return; }
        uf.parent[rb] = ra;
        producers[ra]!.push(...producers[rb]!);
        pins[ra]!.push(...pins[rb]!);
      },
      tie: (i, axis, group, opts = {}) => raw.ties.push({ tensor: node.inputs[i]!, axis, block: opts.block ?? 1, group, reads: opts.reads ?? false }),
      pin: (group, reason) => pins[uf.find(group)]!.push(reason),
      pinInputs: (reason) => node.inputs.forEach((v) => { const a = v ? axes.get(v) : undefined; if (a) pins[uf.find(a.group)]!.push(reason); }),
    };
    if (rule) rule(c);
    else c.pinInputs(`${node.opType} '${node.name}' is not followed channel by channel`);
  }
  for (const o of g.outputs) {
    const a = axes.get(o.name);
    if (a) pins[uf.find(a.group)]!.push(`it is the model's output '${o.name}'`);
  }
  // An initializer used by two nodes must be sliced the same way by both, else its groups stay whole.
  const consumers = consumersOf(g.nodes);
  for (const t of raw.ties) {
    const users = new Set(consumers.get(t.tensor)).size;
    if (users > 1) pins[uf.find(t.group)]!.push(`initializer '${t.tensor}' is shared by ${users} nodes`);
  }
  const root = (id: number) => uf.find(id);
  const ids = [...new Set(sizes.map((_, i) => root(i)))];
  return {
    groups: ids.map((id) => ({ id, size: sizes[id]!, producers: producers[id]!, pinned: [...new Set(pins[id]!)] })),
    ties: raw.ties.map((t) => ({ ...t, group: root(t.group) })),
    depthwise: raw.depthwise.map((d) => ({ ...d, group: root(d.group) })),
    reshapes: raw.reshapes.map((r) => ({ ...r, group: root(r.group) })),
  };
}

/** The model's channel groups, for reports and for choosing what to keep. */
export function channelGroups(model: Model, itemShape?: number[]): ChannelGroup[] {
  return analyseChannels(model, itemShape).groups;
}

/** `t` with only the channels `keep` (each a run of `block` indices) along `axis`. */
export function takeChannels(t: TensorData, axis: number, keep: readonly number[], block = 1): TensorData {
  const dims = [...t.dims];
  const outer = dims.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = dims.slice(axis + 1).reduce((p, d) => p * d, 1);
  const along = dims[axis]!;
  const idx = keep.flatMap((k) => Array.from({ length: block }, (_, j) => k * block + j));
  if (idx.some((i) => i >= along)) throw new ModelError(`channel index out of range for a tensor of ${along} along axis ${axis}`);
  const src = t.data as TypedArray;
  const out = new (src.constructor as new (n: number) => TypedArray)(outer * idx.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < idx.length; j++) {
      const from = (o * along + idx[j]!) * inner, to = (o * idx.length + j) * inner;
      (out as Float32Array).set((src as Float32Array).subarray(from, from + inner), to);
    }
  }
  dims[axis] = idx.length;
  return { dtype: t.dtype, dims, data: out };
}

/**
 * The model with only the channels `keep[group id]` of each listed group (groups not listed keep all);
 * pinned groups are refused. `an` is the model's analysis when the caller already has it. The
 * result's intermediate shapes are re-inferred and checked.
 */
export function shrinkChannels(model: Model, keep: ReadonlyMap<number, readonly number[]>, itemShape?: number[],
  an: Analysis = analyseChannels(model, itemShape)): Model {
  const groups = new Map(an.groups.map((gr) => [gr.id, gr]));
  for (const [id, k] of keep) {
    const gr = groups.get(id);
    if (!gr) throw new ModelError(`there is no channel group ${id}`);
    if (gr.pinned.length && k.length !== gr.size) throw new ModelError(`the channels made by ${gr.producers.join(', ')} cannot change: ${gr.pinned[0]}`);
    if (!k.length) throw new ModelError(`a layer must keep at least one channel (${gr.producers.join(', ')})`);
  }
  const g = model.graph;
  const initializers = { ...g.initializers };
  for (const t of an.ties) {
    const k = keep.get(t.group);
    if (k && k.length !== groups.get(t.group)!.size) initializers[t.tensor] = takeChannels(initializers[t.tensor]!, t.axis, k, t.block);
  }
  const nodes = g.nodes.map((n) => {
    const dw = an.depthwise.find((d) => d.node === n.name);
    const k = dw && keep.get(dw.group);
    return k ? { ...n, attrs: { ...n.attrs, group: { type: 'int' as const, value: k.length } } } : n;
  });
  for (const r of an.reshapes) {
    const k = keep.get(r.group);
    const target = initializers[r.shape];
    if (!k || !target) continue;
    const dims = Array.from(target.data as BigInt64Array, Number);
    if (dims[1] === -1) continue;
    initializers[r.shape] = { ...target, data: BigInt64Array.from([dims[0] ?? -1, dims[0] === -1 ? k.length * r.block : -1].map(BigInt)) };
  }
  const keepVi = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const out: Model = {
    ...model,
    graph: { ...g, nodes, initializers, valueInfo: Object.fromEntries(Object.entries(g.valueInfo).filter(([name]) => keepVi.has(name))) },
  };
  resolveGraph(out, { [g.inputs[0]!.name]: probeShape(model, itemShape) });
  return out;
}
