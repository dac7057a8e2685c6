/**
 * Channel groups: which tensors' channels must change together when a layer gets thinner. A
 * channel-rule table beside the shape rules says, per op, how channels flow: Conv and Gemm make a
 * new group; BatchNorm, activations and pooling pass theirs through; Add / Mul tie their operands'
 * groups (both sides of a residual); depthwise Conv ties its input to its output; Flatten maps a
 * channel to a block of the next Gemm's inputs; Concat along the channels lays groups side by side;
 * Split / Slice of the channels take a run of positions (their split points are rewritten);
 * a channel shuffle (Reshape [N,C,…] → [N,g,C/g,…] → Transpose → Reshape back) permutes them.
 * Ops that mix channels in ways not followed here pin the groups they touch (kept at full width),
 * with the reason.
 *
 * Representation. The analysis follows single channels, not only groups: every channel a layer
 * makes is a node of a union-find, and a tensor's channel axis is a *layout*, the channel at each
 * position (so a Concat's axis is its inputs' layouts end to end, a Slice's a run of its input's,
 * a shuffle's a permutation). Constraints join channels: an Add joins its operands position by
 * position; a channel shuffle joins position i of each of its g blocks (the shrunk shuffle needs
 * every block to keep the same positions, so ShuffleNet is pruned *uniformly per shuffle block*);
 * a grouped Conv joins position j of each of its input blocks and position i of each of its
 * output blocks (the same channels are pruned in every Conv group). A group is a set of layers
 * whose channels are joined; its channels, numbered 0…size-1, are the classes of joined channels.
 * Usually a layer's output channel k is the group's channel k; where joins fold a layer's channels
 * together (ShuffleNet's trunk), a tie lists each position's group channel in `channels`.
 *
 * `shrinkChannels` keeps chosen channels of every group, slices every tied initializer and
 * rewrites the constants that count channels (flatten targets, Split sizes, Slice bounds, shuffle
 * shapes, a depthwise Conv's group), so the result is a smaller valid model (re-checked by shape
 * inference). Students "at a smaller width" use it; filter pruning picks the channels to keep by a
 * criterion.
 */
import { ModelError } from '../core/errors';
import type { TypedArray } from '../core/dtype';
import { attrInt, attrInts, type Model, type Node, type TensorData } from './ir';
import { indexNodes, removeDeadCode } from './graph';
import { resolveGraph } from './resolve';
import type { ValueType } from './shape-rule-base';

/**
 * A tensor's channel axis as the rules see it: position p (a run of `block` indices along `axis`)
 * holds channel node `ch[p]`, or -1 for a channel no layer here makes (always kept). `split`: the
 * positions are laid out over two axes, `axis` and `axis + 1`, of sizes split[0]·split[1] (the middle
 * of a channel shuffle).
 */
interface ChannelAxis { axis: number; block: number; ch: number[]; split?: [number, number] }

export interface ChannelGroup {
  id: number;
  /** Channels in the group. */
  size: number;
  /** The Conv / Gemm / MatMul nodes whose output channels these are. */
  producers: string[];
  /** Why the group must keep every channel (empty: it can shrink). */
  pinned: string[];
}

/**
 * An initializer sliced when its group shrinks; `reads` marks a consumer's input side (Conv's dim 1,
 * a Gemm's input features). Position p along `axis` (indices [p·block, (p+1)·block)) is channel p of
 * `group`, unless `channels` is given: then it is channel `channels[p]` of the group, and -1 marks a
 * position that is not this group's (another tie of the same tensor, for a layer reading a Concat of
 * several groups; or a channel no group makes, always kept). See `channelAt`.
 */
export interface Tie { tensor: string; axis: number; block: number; group: number; reads: boolean; channels?: number[] }

/** A channel axis position by position: the group and the group's channel there (group -1: kept always). */
export interface ChannelLayout { groups: number[]; channels: number[] }

/** How many of `layout`'s positions [from, to) are kept, times `times`, divided by `per` (exact). */
export interface KeptCount { layout: ChannelLayout; from: number; to: number; times: number; per: number }

/** A constant that counts channels: a node's int64 input `input`, or its attribute `attr`, becomes `values`. */
export interface Rewrite { node: string; input?: number; attr?: string; values: (number | KeptCount)[]; scalar?: boolean }

export interface Analysis {
  groups: ChannelGroup[];
  ties: Tie[];
  /** Depthwise Convs whose `group` attribute follows a group's size (the group of their first channel). */
  depthwise: { node: string; group: number }[];
  /** Flattening Reshapes whose constant target shape names the feature count. */
  reshapes: { node: string; shape: string; group: number; block: number }[];
  /** Constants rewritten when channels go: Split sizes, Slice bounds, Reshape targets, Conv groups. */
  rewrites: Rewrite[];
}

/** The group channel at position `p` of a tie (-1: not this group's). */
export function channelAt(t: Tie, p: number): number {
  return t.channels ? t.channels[p] ?? -1 : p;
}

/** A KeptCount while analysing: over channel nodes, not yet over groups. */
interface RawCount { ch: number[]; from: number; to: number; times: number; per: number }
interface RawRewrite { node: string; input?: number; attr?: string; values: (number | RawCount)[]; scalar?: boolean }
interface RawAnalysis {
  ties: { tensor: string; axis: number; block: number; ch: number[]; reads: boolean }[];
  depthwise: { node: string; ch: number[] }[];
  reshapes: { node: string; shape: string; ch: number[]; block: number }[];
  rewrites: RawRewrite[];
}

interface RuleContext {
  node: Node;
  opset: number;
  /** The channel axis of input i (undefined when it has none this analysis follows). */
  axisOf(i: number): ChannelAxis | undefined;
  shape(i: number): number[] | undefined;
  outShape(i: number): number[] | undefined;
  isInitializer(i: number): boolean;
  /** Input i's value when it is constant (an initializer or folded from constants). */
  constant(i: number): TensorData | undefined;
  setOut(i: number, a: ChannelAxis): void;
  /** A new group of `size` channels (made by this node); its channel nodes. */
  newGroup(size: number): number[];
  /** Channels a[p] and b[p] must be kept or dropped together (their groups become one). */
  join(a: readonly number[], b: readonly number[]): void;
  /** Initializer i is sliced along `axis`, position p being channel ch[p]; `reads`: these are the channels a layer consumes. */
  tie(i: number, axis: number, ch: readonly number[], opts?: { block?: number; reads?: boolean }): void;
  /** The groups of these channels keep every channel. */
  pin(ch: readonly number[], reason: string): void;
  /** Pins every input's group: the op mixes channels in a way not followed. */
  pinInputs(reason: string): void;
  rewrite(r: RawRewrite): void;
  analysis: RawAnalysis;
}

type ChannelRule = (c: RuleContext) => void;

const count = (ch: number[], from = 0, to = ch.length, times = 1, per = 1): RawCount => ({ ch, from, to, times, per });
const int64s = (t: TensorData | undefined) => (t ? Array.from(t.data as ArrayLike<number | bigint>, Number) : undefined);
/** Position-major blocks: block b of `n` equal blocks. */
const blockOf = (ch: readonly number[], n: number, b: number) => ch.slice((b * ch.length) / n, ((b + 1) * ch.length) / n);

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
    else if (joined.axis !== aligned.axis || joined.block !== aligned.block || joined.ch.length !== aligned.ch.length || String(joined.split) !== String(aligned.split)) {
      c.pinInputs(`${c.node.opType} '${c.node.name}' combines channels laid out differently`);
      return;
    } else c.join(joined.ch, aligned.ch);
  }
  if (!joined) return;
  for (let i = 0; i < n; i++) {
    const s = c.shape(i);
    if (c.axisOf(i) || !s) continue;
    const own = joined.axis - (R - s.length);
    if (own < 0 || s[own] === 1) continue; // broadcast along the channels: nothing to slice
    if (c.isInitializer(i) && joined.block === 1 && !joined.split) c.tie(i, own, joined.ch);
    else { c.pin(joined.ch, `${c.node.opType} '${c.node.name}' takes operand ${i} with a value per channel that is computed, not stored`); return; }
  }
  c.setOut(0, joined);
};

/**
 * Conv: a new group of output channels. Depthwise: output channel k reads input channel k only, so
 * both are one layout (the `group` attribute is rewritten to the kept count). Grouped (1 < g, not
 * depthwise): followed by pruning the SAME channels in every Conv group — position j of each of the
 * g input blocks is joined, and position i of each of the g output blocks — so every block keeps
 * as many channels and the weight's dim 1 is sliced once for all blocks; `group` stays g.
 */
const conv: ChannelRule = (c) => {
  const x = c.axisOf(0), w = c.shape(1), g = attrInt(c.node, 'group', 1);
  if (!w || !c.isInitializer(1)) { c.pinInputs(`Conv '${c.node.name}' has computed weights`); return; }
  if (x && (x.axis !== 1 || x.block !== 1 || x.split)) { c.pinInputs(`Conv '${c.node.name}' reads channels laid out on axis ${x.axis}`); return; }
  const inC = c.shape(0)?.[1] ?? 0, M = w[0]!;
  if (g > 1 && g === inC && g === M && w[1] === 1) {
    if (!x) return; // fixed input channels: nothing to follow
    c.tie(1, 0, x.ch);
    if (c.node.inputs[2]) c.tie(2, 0, x.ch);
    c.analysis.depthwise.push({ node: c.node.name, ch: x.ch });
    c.rewrite({ node: c.node.name, attr: 'group', values: [count(x.ch)], scalar: true });
    c.setOut(0, x);
    return;
  }
  if (x) {
    for (let b = 1; b < g; b++) c.join(blockOf(x.ch, g, 0), blockOf(x.ch, g, b));
    c.tie(1, 1, blockOf(x.ch, g, 0), { reads: true });
  }
  const out = c.newGroup(M);
  for (let b = 1; b < g; b++) c.join(blockOf(out, g, 0), blockOf(out, g, b));
  c.tie(1, 0, out);
  if (c.node.inputs[2]) c.tie(2, 0, out);
  c.setOut(0, { axis: 1, block: 1, ch: out });
};

/** Y = X·W (+ bias): rows of W follow X's features (by blocks after a Flatten), columns are new channels. */
function dense(c: RuleContext, wIndex: number, transB: boolean, biasIndex: number | null): void {
  const w = c.shape(wIndex), x = c.axisOf(0), xs = c.shape(0);
  if (!w || w.length !== 2 || !c.isInitializer(wIndex) || !xs) { c.pinInputs(`${c.node.opType} '${c.node.name}' multiplies by a matrix that is not a stored initializer`); return; }
  const [inAxis, outAxis] = transB ? [1, 0] : [0, 1];
  if (x) {
    if (x.axis !== xs.length - 1 || x.split) c.pin(x.ch, `${c.node.opType} '${c.node.name}' reads channels on axis ${x.axis}, not its feature axis`);
    else c.tie(wIndex, inAxis, x.ch, { block: x.block, reads: true });
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
  c.setOut(0, { axis: (c.outShape(0)?.length ?? 2) - 1, block: 1, ch: out });
}

/** Folds the trailing dims from `from` into one axis; the channels stay whole blocks only when they lead the folded dims. */
function flattenFrom(c: RuleContext, from: number, reshape?: { shape: string; target: number[] }): void {
  const a = c.axisOf(0), s = c.shape(0);
  if (!a || !s) return;
  if (a.axis !== from || from === 0 || a.split) { c.pinInputs(`${c.node.opType} '${c.node.name}' folds channels between other dims`); return; }
  const block = a.block * s.slice(from + 1).reduce((p, d) => p * d, 1);
  c.setOut(0, { axis: 1, block, ch: a.ch });
  if (reshape && reshape.target[1] !== -1) {
    c.analysis.reshapes.push({ node: c.node.name, shape: reshape.shape, ch: a.ch, block });
    // [N, C·H·W] → [N, C'·H·W] (a target that names N as -1 stays as it is there).
    // 0 copies N from the input: right at any batch, also where the target was computed from a shape.
    c.rewrite({ node: c.node.name, input: 1, values: [0, count(a.ch, 0, a.ch.length, block)] });
  }
}

/** Normalised Slice / Split axis. */
const normAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

const reshape: ChannelRule = (c) => {
  const s = c.shape(0), o = c.outShape(0);
  const a = c.axisOf(0);
  if (!a || !s || !o) return;
  const target = int64s(c.constant(1));
  const same = (from: number, to: number, shift: number) => s.slice(from, to).every((d, i) => d === o[from + i + shift]);
  if (a.split && target) {
    // The end of a channel shuffle: the two channel axes merge back into one.
    const k = a.axis;
    if (o.length === s.length - 1 && o[k] === s[k]! * s[k + 1]! && same(0, k, 0) && same(k + 2, s.length, -1)) {
      c.setOut(0, { axis: k, block: 1, ch: a.ch });
      if (target[k] !== -1) c.rewrite({ node: c.node.name, input: 1, values: target.map((v, i) => (i < k ? 0 : i === k ? count(a.ch) : v)) });
      return;
    }
  } else if (!a.split && a.block === 1 && target) {
    const k = a.axis;
    // The start of a channel shuffle, [N, C, H, W] → [N, g, C/g, H, W]: the shrunk shuffle needs every
    // one of the g blocks to keep the same positions, so position i of each block is joined (the
    // channels are pruned uniformly per shuffle block) and C/g is rewritten.
    if (o.length === s.length + 1 && o[k]! * o[k + 1]! === s[k] && o[k]! > 1 && same(0, k, 0) && same(k + 1, s.length, 1)) {
      const g = o[k]!;
      for (let b = 1; b < g; b++) c.join(blockOf(a.ch, g, 0), blockOf(a.ch, g, b));
      c.setOut(0, { axis: k, block: 1, ch: a.ch, split: [g, o[k + 1]!] });
      c.rewrite({ node: c.node.name, input: 1, values: target.map((v, i) => (i < k ? 0 : i === k + 1 && v !== -1 ? count(a.ch, 0, a.ch.length, 1, g) : v)) });
      return;
    }
  }
  // [N, C, H, W] → [N, C·H·W] is a Flatten; any other reshape may split or merge channels. A target
  // of [N, -1] needs nothing when the channels shrink; a stored one is rewritten.
  if (!a.split && o.length === 2 && s.length >= 2 && o[0] === s[0] && target?.length === 2) {
    flattenFrom(c, 1, { shape: c.node.inputs[1]!, target });
    return;
  }
  c.pinInputs(`Reshape '${c.node.name}' regroups channels (${s.join('×')} → ${o.join('×')})`);
};

/**
 * Swapping the two halves of a shuffle's split channel axis permutes the channels. Other transposes
 * (NCHW → NHWC) pin: the ops after them are not followed on a moved channel axis.
 */
const transpose: ChannelRule = (c) => {
  const a = c.axisOf(0), s = c.shape(0);
  if (!a || !s) return;
  const perm = attrInts(c.node, 'perm', s.map((_, i) => s.length - 1 - i));
  if (!a.split) {
    if (perm.every((p, i) => p === i)) c.setOut(0, a);
    else c.pinInputs(`Transpose '${c.node.name}' moves the channels off axis ${a.axis} (only a channel shuffle's Transpose is followed)`);
    return;
  }
  const k = perm.indexOf(a.axis), [g1, g2] = a.split;
  if (perm[k + 1] === a.axis + 1) { c.setOut(0, { ...a, axis: k }); return; }
  if (k > 0 && perm[k - 1] === a.axis + 1) {
    // [g1, g2] → [g2, g1]: position (i, j) takes the channel at (j, i).
    const ch = Array.from({ length: g1 * g2 }, (_, p) => a.ch[(p % g1) * g2 + Math.floor(p / g1)]!);
    c.setOut(0, { axis: k - 1, block: 1, ch, split: [g2, g1] });
    return;
  }
  c.pinInputs(`Transpose '${c.node.name}' separates the two axes a Reshape split the channels into`);
};

/** Along the channel axis: the inputs' layouts end to end. Along another axis: the inputs' channels are joined. */
const concat: ChannelRule = (c) => {
  const o = c.outShape(0);
  if (!o) return;
  const axis = normAxis(attrInt(c.node, 'axis', 0), o.length);
  const ins = c.node.inputs.map((_, i) => c.axisOf(i));
  const first = ins.find((a) => a);
  if (!first) return;
  if (ins.some((a) => a && (a.split || a.block !== 1 || a.axis !== first.axis))) { c.pinInputs(`Concat '${c.node.name}' joins channels laid out differently`); return; }
  if (first.axis === axis) {
    const ch = ins.flatMap((a, i) => a?.ch ?? new Array<number>(c.shape(i)?.[axis] ?? 0).fill(-1));
    c.setOut(0, { axis, block: 1, ch });
    return;
  }
  if (ins.some((a) => !a || a.ch.length !== first.ch.length)) { c.pinInputs(`Concat '${c.node.name}' stacks tensors whose channels are not all followed`); return; }
  for (const a of ins) c.join(first.ch, a!.ch);
  c.setOut(0, first);
};

/** Split sizes along the channels are rewritten to the kept counts (an input from opset 13, else the attribute). */
const split: ChannelRule = (c) => {
  const a = c.axisOf(0), s = c.shape(0);
  if (!a || !s) return;
  const axis = normAxis(attrInt(c.node, 'axis', 0), s.length);
  if (a.axis !== axis) { c.node.outputs.forEach((_, i) => c.setOut(i, a)); return; }
  if (a.block !== 1 || a.split) { c.pinInputs(`Split '${c.node.name}' cuts channels laid out in blocks`); return; }
  const n = c.node.outputs.length;
  const equal = () => Array.from({ length: n }, (_, i) => c.outShape(i)?.[axis] ?? 0);
  const attr = attrInts(c.node, 'split', []);
  const sizes = c.opset >= 13 ? (c.node.inputs[1] ? int64s(c.constant(1)) : equal()) : attr.length ? attr : equal();
  if (!sizes) { c.pinInputs(`Split '${c.node.name}' has split sizes computed at run time`); return; }
  let off = 0;
  const values: RawCount[] = [];
  sizes.forEach((size, i) => {
    c.setOut(i, { axis, block: 1, ch: a.ch.slice(off, off + size) });
    values.push(count(a.ch, off, off + size));
    off += size;
  });
  c.rewrite(c.opset >= 13 ? { node: c.node.name, input: 1, values } : { node: c.node.name, attr: 'split', values });
};

/** A Slice of the channels (step 1, constant bounds, maybe folded from shapes) takes a run of positions; its bounds are rewritten. */
const slice: ChannelRule = (c) => {
  const a = c.axisOf(0), s = c.shape(0);
  if (!a || !s) return;
  const starts = int64s(c.constant(1)), ends = int64s(c.constant(2));
  const axes = c.node.inputs[3] ? int64s(c.constant(3)) : starts?.map((_, i) => i);
  const steps = c.node.inputs[4] ? int64s(c.constant(4)) : starts?.map(() => 1);
  if (!starts || !ends || !axes || !steps) { c.pinInputs(`Slice '${c.node.name}' has bounds computed at run time`); return; }
  const j = axes.findIndex((x) => normAxis(x, s.length) === a.axis);
  if (j < 0) { c.setOut(0, a); return; }
  if (a.block !== 1 || a.split || steps[j] !== 1) { c.pinInputs(`Slice '${c.node.name}' takes channels with step ${steps[j]} or laid out in blocks`); return; }
  const C = a.ch.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + C : v, 0), C);
  const from = clamp(starts[j]!), to = Math.max(from, clamp(ends[j]!));
  c.setOut(0, { ...a, ch: a.ch.slice(from, to) });
  c.rewrite({ node: c.node.name, input: 1, values: starts.map((v, i) => (i === j ? count(a.ch, 0, from) : v)) });
  c.rewrite({ node: c.node.name, input: 2, values: ends.map((v, i) => (i === j ? count(a.ch, 0, to) : v)) });
};

/** A reduction over other axes keeps the channels (moved left by the axes it drops); over the channels it pins them. */
const reduce: ChannelRule = (c) => {
  const a = c.axisOf(0), s = c.shape(0);
  if (!a || !s) return;
  const fromInput = c.opset >= 18 || c.node.opType === 'ReduceSum' ? int64s(c.constant(1)) : undefined;
  const listed = fromInput ?? attrInts(c.node, 'axes', []);
  const axes = (listed.length ? listed : s.map((_, i) => i)).map((x) => normAxis(x, s.length));
  if (c.node.inputs[1] && !fromInput) { c.pinInputs(`${c.node.opType} '${c.node.name}' reduces over axes computed at run time`); return; }
  const spans = a.split ? [a.axis, a.axis + 1] : [a.axis];
  if (axes.some((x) => spans.includes(x)) || (a.block !== 1 && axes.some((x) => x > a.axis))) {
    c.pinInputs(`${c.node.opType} '${c.node.name}' reduces over the channels`);
    return;
  }
  const dropped = attrInt(c.node, 'keepdims', 1) ? 0 : axes.filter((x) => x < a.axis).length;
  c.setOut(0, { ...a, axis: a.axis - dropped });
};
const REDUCE = ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceSum', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSumExp', 'ReduceSumSquare'];

/** How each op moves channels; ops not listed pin the groups of their inputs. */
export const CHANNEL_RULES: Readonly<Record<string, ChannelRule>> = {
  ...Object.fromEntries(UNARY.map((op) => [op, passThrough])),
  ...Object.fromEntries(POOLS.map((op) => [op, passThroughNchw])),
  ...Object.fromEntries(ELEMENTWISE.map((op) => [op, elementwise])),
  ...Object.fromEntries(REDUCE.map((op) => [op, reduce])),
  Conv: conv,
  Gemm: (c) => {
    if (attrInt(c.node, 'transA', 0)) { c.pinInputs(`Gemm '${c.node.name}' transposes its input`); return; }
    dense(c, 1, attrInt(c.node, 'transB', 0) === 1, 2);
  },
  MatMul: (c) => dense(c, 1, false, null),
  BatchNormalization: (c) => {
    const a = c.axisOf(0);
    if (!a) return;
    if (a.axis !== 1 || a.block !== 1 || a.split) { c.pinInputs(`BatchNormalization '${c.node.name}' normalises axis 1, which does not hold the channels here`); return; }
    for (let i = 1; i <= 4; i++) {
      if (!c.isInitializer(i)) { c.pin(a.ch, `BatchNormalization '${c.node.name}' has computed parameters`); return; }
      c.tie(i, 0, a.ch);
    }
    c.setOut(0, a);
  },
  Flatten: (c) => {
    const s = c.shape(0);
    const axis = attrInt(c.node, 'axis', 1);
    flattenFrom(c, axis < 0 ? axis + (s?.length ?? 0) : axis);
  },
  Reshape: reshape,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
};

/** Ops that may see a channel axis split over two axes (the middle of a channel shuffle). */
const SEES_SPLIT = new Set(['Reshape', 'Transpose', ...UNARY]);

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
  // Channels (one union-find node each, joined when they must go together) and the groups that made
  // them (joined whenever two of their channels are).
  const chans = new UnionFind(), groupsUf = new UnionFind();
  const chanGroup: number[] = [];
  const sizes: number[] = [], producers: string[][] = [], pins: string[][] = [];
  const raw: RawAnalysis = { ties: [], depthwise: [], reshapes: [], rewrites: [] };
  const axes = new Map<string, ChannelAxis>();
  const pinCh = (ch: readonly number[], reason: string) => {
    for (const gr of new Set(ch.filter((x) => x >= 0).map((x) => groupsUf.find(chanGroup[x]!)))) pins[gr]!.push(reason);
  };
  for (const node of resolved.nodes) {
    const rule = Object.hasOwn(CHANNEL_RULES, node.opType) ? CHANNEL_RULES[node.opType] : undefined;
    const c: RuleContext = {
      node, analysis: raw, opset: model.opset,
      axisOf: (i) => (node.inputs[i] ? axes.get(node.inputs[i]!) : undefined),
      shape: (i) => (node.inputs[i] ? values[node.inputs[i]!]?.shape : undefined),
      outShape: (i) => (node.outputs[i] ? values[node.outputs[i]!]?.shape : undefined),
      isInitializer: (i) => Boolean(node.inputs[i] && Object.hasOwn(g.initializers, node.inputs[i]!)),
      constant: (i) => (node.inputs[i] ? resolved.constants[node.inputs[i]!] : undefined),
      setOut: (i, a) => { if (node.outputs[i]) axes.set(node.outputs[i]!, a); },
      newGroup: (size) => {
        const id = groupsUf.add(); sizes.push(size); producers.push([node.name]); pins.push([]);
        return Array.from({ length: size }, () => { chanGroup.push(id); return chans.add(); });
      },
      join: (a, b) => {
        for (let p = 0; p < Math.min(a.length, b.length); p++) {
          const x = a[p]!, y = b[p]!;
          if (x === y) continue;
          if (x < 0 || y < 0) { pinCh([x, y], `'${node.name}' lines a channel up with one no layer makes`); continue; }
          const [rx, ry] = [chans.find(x), chans.find(y)];
          if (rx !== ry) chans.parent[ry] = rx;
          const [gx, gy] = [groupsUf.find(chanGroup[x]!), groupsUf.find(chanGroup[y]!)];
          if (gx === gy) continue;
          groupsUf.parent[gy] = gx;
          producers[gx]!.push(...producers[gy]!);
          pins[gx]!.push(...pins[gy]!);
        }
      },
      tie: (i, axis, ch, opts = {}) => raw.ties.push({ tensor: node.inputs[i]!, axis, block: opts.block ?? 1, ch: [...ch], reads: opts.reads ?? false }),
      pin: pinCh,
      pinInputs: (reason) => node.inputs.forEach((v) => { const a = v ? axes.get(v) : undefined; if (a) pinCh(a.ch, reason); }),
      rewrite: (r) => raw.rewrites.push(r),
    };
    if (rule && (SEES_SPLIT.has(node.opType) || !node.inputs.some((v) => v && axes.get(v)?.split))) rule(c);
    else if (rule) c.pinInputs(`${node.opType} '${node.name}' sees channels split over two axes (a channel shuffle's middle)`);
    else c.pinInputs(`${node.opType} '${node.name}' is not followed channel by channel`);
  }
  for (const o of g.outputs) {
    const a = axes.get(o.name);
    if (a) pinCh(a.ch, `it is the model's output '${o.name}'`);
  }
  // An initializer used by two nodes must be sliced the same way by both, else its groups stay whole.
  // (Only nodes that run count: a folded Identity that copies a shared bias is frozen when it changes.)
  const { consumers } = indexNodes(resolved.nodes);
  for (const t of raw.ties) {
    const users = new Set(consumers(t.tensor)).size;
    if (users > 1) pinCh(t.ch, `initializer '${t.tensor}' is shared by ${users} nodes`);
  }
  // Each group's channels: the classes of joined channels, numbered in the order its layers made them.
  const root = (gid: number) => groupsUf.find(gid);
  const classOf: number[] = [], classCount = new Map<number, number>(), seen = new Map<number, number>();
  chanGroup.forEach((gid, x) => {
    const r = chans.find(x);
    let k = seen.get(r);
    if (k === undefined) {
      const gr = root(gid);
      k = classCount.get(gr) ?? 0;
      classCount.set(gr, k + 1);
      seen.set(r, k);
    }
    classOf[x] = k;
  });
  const layout = (ch: readonly number[]): ChannelLayout => ({
    groups: ch.map((x) => (x < 0 ? -1 : root(chanGroup[x]!))),
    channels: ch.map((x) => (x < 0 ? -1 : classOf[x]!)),
  });
  const layouts = new Map<readonly number[], ChannelLayout>();
  const layoutOf = (ch: readonly number[]) => layouts.get(ch) ?? layouts.set(ch, layout(ch)).get(ch)!;
  const firstGroup = (ch: readonly number[]) => layoutOf(ch).groups.find((x) => x >= 0) ?? -1;
  const ties: Tie[] = [];
  for (const t of raw.ties) {
    const l = layoutOf(t.ch);
    for (const gr of new Set(l.groups.filter((x) => x >= 0))) {
      const channels = l.channels.map((k, p) => (l.groups[p] === gr ? k : -1));
      const identity = channels.length === classCount.get(gr) && channels.every((k, p) => k === p);
      ties.push({ tensor: t.tensor, axis: t.axis, block: t.block, group: gr, reads: t.reads, ...(identity ? {} : { channels }) });
    }
  }
  const ids = [...new Set(sizes.map((_, i) => root(i)))];
  return {
    groups: ids.map((id) => ({ id, size: classCount.get(id) ?? 0, producers: producers[id]!, pinned: [...new Set(pins[id]!)] })),
    ties,
    depthwise: raw.depthwise.map((d) => ({ node: d.node, group: firstGroup(d.ch) })).filter((d) => d.group >= 0),
    reshapes: raw.reshapes.map((r) => ({ node: r.node, shape: r.shape, group: firstGroup(r.ch), block: r.block })),
    rewrites: raw.rewrites.map((r) => ({
      ...r, values: r.values.map((v) => (typeof v === 'number' ? v : { layout: layoutOf(v.ch), from: v.from, to: v.to, times: v.times, per: v.per })),
    })),
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

/** Nodes none of whose outputs anything reads (nor the graph returns). */
/**
 * The model with only the channels `keep[group id]` of each listed group (groups not listed keep all);
 * pinned groups are refused. `an` is the model's analysis when the caller already has it. The
 * result's intermediate shapes are re-inferred and checked. Tied values that were folded from
 * constants (an Identity of a shared bias) become initializers of their own; a Slice bound or a
 * Reshape target computed from shapes becomes a stored constant; nodes only these fed are dropped.
 */
export function shrinkChannels(model: Model, keep: ReadonlyMap<number, readonly number[]>, itemShape?: number[],
  an: Analysis = analyseChannels(model, itemShape)): Model {
  const groups = new Map(an.groups.map((gr) => [gr.id, gr]));
  const kept = new Map<number, Set<number>>();
  for (const [id, k] of keep) {
    const gr = groups.get(id);
    if (!gr) throw new ModelError(`there is no channel group ${id}`);
    if (gr.pinned.length && k.length !== gr.size) throw new ModelError(`the channels made by ${gr.producers.join(', ')} cannot change: ${gr.pinned[0]}`);
    if (!k.length) throw new ModelError(`a layer must keep at least one channel (${gr.producers.join(', ')})`);
    if (k.some((c) => !Number.isInteger(c) || c < 0 || c >= gr.size)) throw new ModelError(`channel index out of range for ${gr.producers.join(', ')} (${gr.size} channels)`);
    if (k.length !== gr.size) kept.set(id, new Set(k));
  }
  const isKept = (group: number, channel: number) => group < 0 || channel < 0 || (kept.get(group)?.has(channel) ?? true);
  const g = model.graph;
  const input = g.inputs[0]!;
  const initializers = { ...g.initializers };
  const folded = new Set<string>();
  const resolved = resolveGraph(model, { [input.name]: probeShape(model, itemShape) });
  const constants = resolved.constants, runtime = new Set(resolved.nodes.map((n) => n.name));
  const byTensorAxis = new Map<string, Tie[]>();
  for (const t of an.ties) {
    const key = `${t.axis}:${t.tensor}`;
    byTensorAxis.set(key, [...(byTensorAxis.get(key) ?? []), t]);
  }
  for (const ties of byTensorAxis.values()) {
    const { tensor, axis, block } = ties[0]!;
    if (!ties.some((t) => kept.has(t.group))) continue;
    let src = initializers[tensor];
    if (!src) {
      src = constants[tensor];
      if (!src) throw new ModelError(`'${tensor}' is tied to a channel group but is neither stored nor constant`);
      folded.add(tensor);
    }
    const positions = src.dims[axis]! / block;
    const keepPos: number[] = [];
    for (let p = 0; p < positions; p++) {
      const owner = ties.find((t) => channelAt(t, p) >= 0);
      if (!owner || isKept(owner.group, channelAt(owner, p))) keepPos.push(p);
    }
    initializers[tensor] = takeChannels(src, axis, keepPos, block);
  }
  // A folded node (an Identity copying a bias several Convs share) that reads a changed initializer
  // would now compute from the sliced one: its results are stored as they were instead.
  const { consumers, uses } = indexNodes(g.nodes);
  for (const name of Object.keys(g.initializers)) {
    if (initializers[name] === g.initializers[name]) continue;
    for (const n of consumers(name)) {
      if (runtime.has(n.name)) continue;
      for (const o of n.outputs) {
        if (!o || folded.has(o)) continue;
        if (!constants[o]) throw new ModelError(`'${o}' reads the changed '${name}' but was not folded`);
        initializers[o] = constants[o]!;
        folded.add(o);
      }
    }
  }
  const keptIn = (k: KeptCount) => {
    let n = 0;
    for (let p = k.from; p < k.to; p++) if (isKept(k.layout.groups[p]!, k.layout.channels[p]!)) n++;
    const v = (n * k.times) / k.per;
    if (!Number.isInteger(v)) throw new ModelError(`${n} kept channels do not divide into ${k.per} equal blocks`);
    return v;
  };
  const touched = (k: number | KeptCount) => typeof k !== 'number' && k.layout.groups.some((gr, p) => !isKept(gr, k.layout.channels[p]!));
  const byName = new Map(g.nodes.map((n) => [n.name, n]));
  const edited = new Map<string, Node>();
  for (const r of an.rewrites) {
    if (!r.values.some(touched)) continue;
    const original = byName.get(r.node);
    if (!original) throw new ModelError(`no node '${r.node}' to rewrite`);
    const n = edited.get(r.node) ?? { ...original, inputs: [...original.inputs], attrs: { ...original.attrs } };
    edited.set(r.node, n);
    const values = r.values.map((v) => (typeof v === 'number' ? v : keptIn(v)));
    if (r.attr) {
      n.attrs[r.attr] = r.scalar ? { type: 'int', value: values[0]! } : { type: 'ints', value: values };
      continue;
    }
    const i = r.input!;
    const old = n.inputs[i];
    const own = old && Object.hasOwn(g.initializers, old) && new Set(consumers(old)).size === 1;
    let name = own ? old : `${r.node}/channels_${i}`;
    while (!own && (Object.hasOwn(initializers, name) || uses(name) > 0)) name += '_';
    initializers[name] = { dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map(BigInt)) };
    while (n.inputs.length < i) n.inputs.push('');
    n.inputs[i] = name;
  }
  // Folded values now stored: the nodes that computed them go.
  const nodes = g.nodes.map((n) => edited.get(n.name) ?? n).filter((n) => !(n.outputs.length && n.outputs.every((o) => !o || folded.has(o))));
  // Nodes only the folded values or the replaced inputs fed go, and the initializers only they read;
  // nodes and constants the file already left unread stay as the file had them.
  const liveBefore = new Set(removeDeadCode(g, { initializers: [] }).nodes);
  const deadBefore = new Set(g.nodes.filter((n) => !liveBefore.has(n)).map((n) => n.name));
  const live = removeDeadCode({ ...g, nodes, initializers }, {
    nodes: (n) => !deadBefore.has(n.name),
    initializers: Object.keys(initializers).filter((name) => uses(name) > 0 || !Object.hasOwn(g.initializers, name)),
  });
  const keepVi = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const out: Model = {
    ...model,
    graph: { ...live, valueInfo: Object.fromEntries(Object.entries(g.valueInfo).filter(([name]) => keepVi.has(name))) },
  };
  resolveGraph(out, { [input.name]: probeShape(model, itemShape) });
  return out;
}
