/**
 * The channel-rule table beside the shape rules: per op, how channels flow from its inputs to its
 * outputs (made, passed through, tied, offset, sliced, permuted, or pinned with a reason).
 * `analyseChannels` (channels.ts) walks the graph and applies these rules; the representation
 * (channel nodes, layouts, joins) is described there.
 */
import { attrInt, attrInts, type Node, type TensorData } from './ir';
import type { GpuOpName } from './shape-rules';
import { BROADCAST_OPS, POOL_OPS, REDUCE_OPS, UNARY_OPS } from './op-groups';

/**
 * A tensor's channel axis as the rules see it: position p (a run of `block` indices along `axis`)
 * holds channel node `ch[p]`, or -1 for a channel no layer here makes (always kept). `split`: the
 * positions are laid out over two axes, `axis` and `axis + 1`, of sizes split[0]·split[1] (the middle
 * of a channel shuffle).
 */
export interface ChannelAxis { axis: number; block: number; ch: number[]; split?: [number, number] }

/** A KeptCount while analysing: over channel nodes, not yet over groups. */
export interface RawCount { ch: number[]; from: number; to: number; times: number; per: number }
export interface RawRewrite { node: string; input?: number; attr?: string; values: (number | RawCount)[]; scalar?: boolean }
export interface RawAnalysis {
  ties: { tensor: string; axis: number; block: number; ch: number[]; reads: boolean }[];
  depthwise: { node: string; ch: number[] }[];
  reshapes: { node: string; shape: string; ch: number[]; block: number }[];
  rewrites: RawRewrite[];
}

export interface RuleContext {
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

export type ChannelRule = (c: RuleContext) => void;

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

/** How each op moves channels; ops not listed pin the groups of their inputs. */
export const CHANNEL_RULES: Readonly<Partial<Record<GpuOpName, ChannelRule>>> = {
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, passThrough])),
  ...Object.fromEntries(POOL_OPS.map((op) => [op, passThroughNchw])),
  ...Object.fromEntries(BROADCAST_OPS.map((op) => [op, elementwise])),
  ...Object.fromEntries(REDUCE_OPS.map((op) => [op, reduce])),
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
export const SEES_SPLIT = new Set(['Reshape', 'Transpose', ...UNARY_OPS]);
