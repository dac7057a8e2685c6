/**
 * Shape rules for the tensor ops real exports add to the classic CNN set: variadic Sum/Mean/Max/Min,
 * the Reduce* family, Split, Slice, Pad, Expand, Tile, Gather, LRN and the hard activations. The
 * geometry helpers (which axes, which pads, which slice) are shared with the op table and the fold
 * rules so the three never disagree. Attribute-vs-input changes follow the ONNX spec per opset.
 */
import { broadcastShapes, stridesOf } from '../core/shape';
import { attrFloat, attrInt, attrInts, attrString, type Node, type TensorData } from './ir';
import {
  axisIn, constInts, fmt, input, nodeError, toNumbers, type OpContext, type ShapeRule,
} from './shape-rule-base';

/** What the geometry helpers read of a node: attributes and its constant inputs. */
export type NodeConsts = Pick<OpContext, 'node' | 'opset' | 'consts'>;

const same: ShapeRule = (c) => [{ ...input(c, 0, 'X') }];

/** Sum, Mean, Max, Min: 1..n inputs, numpy broadcasting across all of them. */
const variadic: ShapeRule = (c) => {
  if (c.node.inputs.length === 0) throw nodeError(c.node, 'needs at least one input');
  const ins = c.node.inputs.map((_, i) => input(c, i, `input ${i}`));
  let shape: number[] | null = ins[0]!.shape;
  for (const v of ins.slice(1)) {
    if (v.dtype !== ins[0]!.dtype) throw nodeError(c.node, `inputs mix dtypes ${ins.map((x) => x.dtype).join(', ')}`);
    shape = shape && broadcastShapes(shape, v.shape);
  }
  if (!shape) throw nodeError(c.node, `shapes ${ins.map((v) => fmt(v.shape)).join(', ')} do not broadcast`);
  return [{ dtype: ins[0]!.dtype, shape }];
};

// ---- Reduce* ---------------------------------------------------------------------------------

export interface ReduceGeometry {
  /** Reduced axes, normalised and sorted; empty with `noop` means the output is the input. */
  axes: number[];
  keepdims: boolean;
  noop: boolean;
  shape: number[];
}

/** ReduceSum took its axes as an input from opset 13, the other Reduce ops from 18. */
function axesAreInput(k: NodeConsts): boolean {
  return k.opset >= (k.node.opType === 'ReduceSum' ? 13 : 18);
}

export function reduceGeometry(k: NodeConsts, inShape: readonly number[]): ReduceGeometry {
  const r = inShape.length;
  const keepdims = attrInt(k.node, 'keepdims', 1) === 1;
  let given: number[] | undefined;
  if (axesAreInput(k)) given = k.node.inputs[1] ? constInts(k, 1, 'axes') : undefined;
  else if ('axes' in k.node.attrs) given = attrInts(k.node, 'axes', []);
  if (!given || given.length === 0) {
    const noop = axesAreInput(k) && attrInt(k.node, 'noop_with_empty_axes', 0) === 1;
    const axes = noop ? [] : inShape.map((_, i) => i);
    return { axes, keepdims, noop, shape: noop ? [...inShape] : keepdims ? inShape.map(() => 1) : [] };
  }
  const axes = [...new Set(given.map((a) => axisIn(k.node, a, Math.max(r, 1), 'axes entry')))].sort((a, b) => a - b);
  const shape = keepdims ? inShape.map((d, i) => (axes.includes(i) ? 1 : d)) : inShape.filter((_, i) => !axes.includes(i));
  return { axes, keepdims, noop: false, shape };
}

const reduce: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  return [{ dtype: x.dtype, shape: reduceGeometry(c, x.shape).shape }];
};

export const REDUCE_OPS = [
  'ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd',
  'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSum', 'ReduceLogSumExp',
] as const;

// ---- Split -----------------------------------------------------------------------------------

/** Split's axis and the size of each output along it. */
export function splitGeometry(k: NodeConsts, inShape: readonly number[], outputs: number): { axis: number; sizes: number[] } {
  const axis = axisIn(k.node, attrInt(k.node, 'axis', 0), inShape.length);
  const len = inShape[axis]!;
  let sizes: number[] | undefined;
  if (k.opset >= 13) sizes = k.node.inputs[1] ? constInts(k, 1, 'split') : undefined;
  else if ('split' in k.node.attrs) sizes = attrInts(k.node, 'split', []);
  if (!sizes) {
    const n = k.opset >= 18 && 'num_outputs' in k.node.attrs ? attrInt(k.node, 'num_outputs', outputs) : outputs;
    if (n !== outputs) throw nodeError(k.node, `num_outputs is ${n} but the node has ${outputs} outputs`);
    // Opset 18 allows an uneven split (the last chunk smaller); before, the axis must divide evenly.
    const chunk = k.opset >= 18 ? Math.ceil(len / n) : len / n;
    if (!Number.isInteger(chunk)) throw nodeError(k.node, `axis ${axis} of ${fmt(inShape)} (${len}) does not split into ${n} equal parts`);
    sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, len - i * chunk)));
  }
  if (sizes.length !== outputs) throw nodeError(k.node, `split ${fmt(sizes)} has ${sizes.length} parts but the node has ${outputs} outputs`);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== len) {
    throw nodeError(k.node, `split ${fmt(sizes)} must be non-negative sizes adding up to ${len} (axis ${axis} of ${fmt(inShape)})`);
  }
  return { axis, sizes };
}

const split: ShapeRule = (c) => {
  const x = input(c, 0, 'input');
  const { axis, sizes } = splitGeometry(c, x.shape, c.node.outputs.length);
  return sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
};

// ---- Slice -----------------------------------------------------------------------------------

export interface SliceGeometry { dims: number[]; begin: number[]; steps: number[] }

/** Slice's output dims and, per axis, the first index read and the step (negative walks backwards). */
export function sliceGeometry(k: NodeConsts, inShape: readonly number[]): SliceGeometry {
  const r = inShape.length;
  // Opset 1..9 carries starts/ends/axes as attributes; from 10 they are inputs, with steps.
  const old = k.opset < 10;
  const roles = ['data', 'starts', 'ends', 'axes', 'steps'];
  const ints = (i: number, dflt?: number[]): number[] => {
    if (old) return i === 4 ? dflt! : attrInts(k.node, roles[i]!, dflt ?? []);
    return k.node.inputs[i] ? constInts(k, i, roles[i]!) : dflt!;
  };
  const starts = ints(1), ends = ints(2);
  const axes = ints(3, starts.map((_, i) => i)), steps = ints(4, starts.map(() => 1));
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw nodeError(k.node, `starts ${fmt(starts)}, ends ${fmt(ends)}, axes ${fmt(axes)} and steps ${fmt(steps)} differ in length`);
  }
  const dims = [...inShape], step = dims.map(() => 1), begin = dims.map(() => 0);
  axes.forEach((ax, i) => {
    const a = axisIn(k.node, ax, r), d = inShape[a]!, st = steps[i]!;
    if (st === 0) throw nodeError(k.node, 'a step of 0 is not allowed');
    let s = starts[i]!, e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    s = st > 0 ? Math.min(Math.max(s, 0), d) : Math.min(Math.max(s, 0), d - 1);
    e = st > 0 ? Math.min(Math.max(e, 0), d) : Math.min(Math.max(e, -1), d - 1);
    dims[a] = Math.max(0, Math.ceil((e - s) / st));
    begin[a] = s;
    step[a] = st;
  });
  return { dims, begin, steps: step };
}

const slice: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  return [{ dtype: x.dtype, shape: sliceGeometry(c, x.shape).dims }];
};

/** A slice as a strided read: first element's offset and per-axis strides into the input. */
export function sliceStrides(inShape: readonly number[], g: SliceGeometry): { offset: number; strides: number[] } {
  const st = stridesOf(inShape);
  return { offset: g.begin.reduce((acc, b, a) => acc + b * st[a]!, 0), strides: st.map((s, a) => s * g.steps[a]!) };
}

// ---- Pad -------------------------------------------------------------------------------------

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'] as const;
export type PadMode = (typeof PAD_MODES)[number];

/** Pad's mode and per-axis begin/end pads; `value` is the constant fill when known on the host
 *  (an attribute before opset 11, a constant input after), null when computed at run time. */
export interface PadGeometry { mode: PadMode; begin: number[]; end: number[]; value: number | null; shape: number[] }

export function padGeometry(k: NodeConsts, inShape: readonly number[]): PadGeometry {
  const r = inShape.length;
  const mode = attrString(k.node, 'mode', 'constant');
  if (!PAD_MODES.includes(mode as PadMode) || (mode === 'wrap' && k.opset < 19)) {
    throw nodeError(k.node, `mode '${mode}' is not one of constant, reflect, edge${k.opset >= 19 ? ', wrap' : ''}`);
  }
  let pads: number[], value: number | null, axes = inShape.map((_, i) => i);
  if (k.opset < 11) {
    pads = attrInts(k.node, 'pads', []);
    value = attrFloat(k.node, 'value', 0);
  } else {
    pads = constInts(k, 1, 'pads');
    const v: TensorData | undefined = k.consts[2];
    value = !k.node.inputs[2] ? 0 : v ? (v.data.length > 0 ? toNumbers(v)[0]! : 0) : null;
    if (k.opset >= 18 && k.node.inputs[3]) axes = constInts(k, 3, 'axes').map((a) => axisIn(k.node, a, r, 'axes entry'));
  }
  if (pads.length !== 2 * axes.length) throw nodeError(k.node, `pads ${fmt(pads)} must hold ${2 * axes.length} values (begins, then ends) for ${fmt(inShape)}`);
  const begin = inShape.map(() => 0), end = inShape.map(() => 0);
  axes.forEach((a, i) => { begin[a] = pads[i]!; end[a] = pads[i + axes.length]!; });
  const shape = inShape.map((d, i) => d + begin[i]! + end[i]!);
  if (shape.some((d) => d < 0)) throw nodeError(k.node, `pads ${fmt(pads)} crop ${fmt(inShape)} below zero size`);
  if (mode !== 'constant') {
    inShape.forEach((d, i) => {
      if (d === 0 && (begin[i]! > 0 || end[i]! > 0)) throw nodeError(k.node, `mode '${mode}' cannot pad axis ${i} of ${fmt(inShape)}: it is empty`);
    });
  }
  return { mode: mode as PadMode, begin, end, value, shape };
}

const pad: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  return [{ dtype: x.dtype, shape: padGeometry(c, x.shape).shape }];
};

// ---- Expand, Tile, Gather, LRN ---------------------------------------------------------------

export function expandShape(k: NodeConsts, inShape: readonly number[]): number[] {
  const target = constInts(k, 1, 'shape');
  const shape = broadcastShapes(inShape, target);
  if (!shape) throw nodeError(k.node, `input ${fmt(inShape)} does not broadcast to shape ${fmt(target)}`);
  return shape;
}

export function tileRepeats(k: NodeConsts, inShape: readonly number[]): number[] {
  const reps = constInts(k, 1, 'repeats');
  if (reps.length !== inShape.length || reps.some((v) => !Number.isInteger(v) || v < 0)) {
    throw nodeError(k.node, `repeats ${fmt(reps)} must be ${inShape.length} non-negative integers for ${fmt(inShape)}`);
  }
  return reps;
}

export function gatherAxis(node: Node, rank: number): number {
  return axisIn(node, attrInt(node, 'axis', 0), rank);
}

const gather: ShapeRule = (c) => {
  const d = input(c, 0, 'data'), ix = input(c, 1, 'indices');
  const axis = gatherAxis(c.node, d.shape.length), len = d.shape[axis]!;
  // Constant indices are checked here; run-time ones are clamped by the kernel (ONNX leaves them undefined).
  const bad = c.consts[1] && toNumbers(c.consts[1]).find((i) => i < -len || i >= len);
  if (bad !== undefined) throw nodeError(c.node, `index ${bad} is out of range for axis ${axis} of ${fmt(d.shape)}`);
  return [{ dtype: d.dtype, shape: [...d.shape.slice(0, axis), ...ix.shape, ...d.shape.slice(axis + 1)] }];
};

const lrn: ShapeRule = (c) => {
  const x = input(c, 0, 'X');
  if (x.shape.length < 3) throw nodeError(c.node, `X must be [N,C,spatial...], got ${fmt(x.shape)}`);
  const size = attrInt(c.node, 'size', 0);
  if (size < 1) throw nodeError(c.node, `size ${size} must be a positive integer (the attribute is required)`);
  return [{ ...x }];
};

export const TENSOR_SHAPE_RULES = {
  HardSigmoid: same, HardSwish: same, LRN: lrn,
  Sum: variadic, Mean: variadic, Max: variadic, Min: variadic,
  ...(Object.fromEntries(REDUCE_OPS.map((op) => [op, reduce])) as Record<(typeof REDUCE_OPS)[number], ShapeRule>),
  Split: split, Slice: slice, Pad: pad, Gather: gather,
  Expand: (c) => { const x = input(c, 0, 'input'); return [{ dtype: x.dtype, shape: expandShape(c, x.shape) }]; },
  Tile: (c) => {
    const x = input(c, 0, 'input');
    const reps = tileRepeats(c, x.shape);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * reps[i]!) }];
  },
} as const satisfies Record<string, ShapeRule>;
