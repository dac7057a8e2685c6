/**
 * Constant folding on the CPU: the ops exporters use for shape arithmetic (PyTorch's
 * Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain, ConstantOfShape, Range, ...) and any other
 * foldable op whose inputs are all constants. int64 stays in BigInt64Array so no value is rounded;
 * view ops reuse their input's data array, since constants are never mutated.
 */
import { arrayFor, ONNX_DTYPE, type DType } from '../core/dtype';
import { broadcastShapes, broadcastStrides, normAxis, sizeOf, stridesOf } from '../core/shape';
import { attrFloat, attrInt, attrInts, type TensorData } from './ir';
import {
  shapeRuleOf, concatShape, fmt, input, nodeError, toNumbers, transposePerm, type OpContext,
} from './shape-rules';
import { NEWER_ONNX_TYPES } from './support';
import { expandShape, reduceGeometry, sliceGeometry, sliceStrides, splitGeometry, tileRepeats } from './shape-rules-tensor';

export type FoldRule = (c: OpContext) => TensorData[];

/** Index-assignable view of any typed array (elements are number, or bigint for 64-bit ints). */
type Elems = { [i: number]: number | bigint; readonly length: number };
const el = (t: TensorData): Elems => t.data as unknown as Elems;
const isBig = (d: DType) => d === 'int64' || d === 'uint64';
const isFloat = (d: DType) => d === 'float32' || d === 'float64' || d === 'float16' || d === 'bfloat16';

function int64(values: readonly number[], dims: number[] = [values.length]): TensorData {
  return { dtype: 'int64', dims, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

function constIn(c: OpContext, i: number, role: string): TensorData {
  const t = c.consts[i];
  if (!t) throw nodeError(c.node, `${role} (input ${i}) must be a constant to fold`);
  return t;
}

/** Source offset of every output element, row-major, for a strided read (transpose, slice, broadcast). */
function offsets(dims: readonly number[], strides: readonly number[], base = 0): Float64Array {
  const n = sizeOf(dims), r = dims.length, out = new Float64Array(n), idx = new Array<number>(r).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let a = r - 1; a >= 0; a--) {
      idx[a]!++;
      off += strides[a]!;
      if (idx[a]! < dims[a]!) break;
      off -= strides[a]! * dims[a]!;
      idx[a] = 0;
    }
  }
  return out;
}

function strided(t: TensorData, dims: number[], strides: readonly number[], base = 0): TensorData {
  const src = el(t), data = arrayFor(t.dtype, sizeOf(dims)), dst = data as unknown as Elems;
  offsets(dims, strides, base).forEach((o, i) => { dst[i] = src[o]!; });
  return { dtype: t.dtype, dims, data };
}

/** Reshape-like ops: same data, dims from the op's shape rule. */
const view: FoldRule = (c) => {
  const t = constIn(c, 0, 'data');
  return [{ dtype: t.dtype, dims: shapeRuleOf(c.node.opType)!(c)[0]!.shape, data: t.data }];
};

const constant: FoldRule = (c) => {
  const a = c.node.attrs;
  if (a.value?.type === 'tensor') return [a.value.value];
  if (a.value_float) return [{ dtype: 'float32', dims: [], data: Float32Array.of(attrFloat(c.node, 'value_float', 0)) }];
  if (a.value_floats) return [{ dtype: 'float32', dims: [attrInts(c.node, 'value_floats', []).length], data: Float32Array.from(attrInts(c.node, 'value_floats', [])) }];
  if (a.value_int) return [int64([attrInt(c.node, 'value_int', 0)], [])];
  if (a.value_ints) return [int64(attrInts(c.node, 'value_ints', []))];
  throw nodeError(c.node, `has no numeric value (attributes: ${Object.keys(a).join(', ') || 'none'}); string and sparse constants are not supported`);
};

const shape: FoldRule = (c) => {
  const s = input(c, 0, 'data').shape, r = s.length;
  // start/end arrived in opset 15; negative values count from the end, then clamp to [0, rank].
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = c.opset >= 15 ? clamp(attrInt(c.node, 'start', 0)) : 0;
  const end = c.opset >= 15 ? clamp(attrInt(c.node, 'end', r)) : r;
  return [int64(s.slice(start, Math.max(start, end)))];
};

const gather: FoldRule = (c) => {
  const d = constIn(c, 0, 'data'), ix = constIn(c, 1, 'indices');
  const r = d.dims.length, axisAttr = attrInt(c.node, 'axis', 0);
  if (axisAttr < -r || axisAttr >= r) throw nodeError(c.node, `axis ${axisAttr} is out of range for ${fmt(d.dims)}`);
  const axis = normAxis(axisAttr, r), len = d.dims[axis]!;
  const idx = toNumbers(ix).map((i) => {
    const j = i < 0 ? i + len : i;
    if (j < 0 || j >= len) throw nodeError(c.node, `index ${i} is out of range for axis ${axis} of ${fmt(d.dims)}`);
    return j;
  });
  const outer = sizeOf(d.dims.slice(0, axis)), inner = sizeOf(d.dims.slice(axis + 1));
  const dims = [...d.dims.slice(0, axis), ...ix.dims, ...d.dims.slice(axis + 1)];
  const data = arrayFor(d.dtype, sizeOf(dims)), dst = data as unknown as Elems, src = el(d);
  let k = 0;
  for (let o = 0; o < outer; o++) for (const j of idx) for (let q = 0; q < inner; q++) dst[k++] = src[(o * len + j) * inner + q]!;
  return [{ dtype: d.dtype, dims, data }];
};

const concat: FoldRule = (c) => {
  const ts = c.node.inputs.map((_, i) => constIn(c, i, `input ${i}`));
  const dtype = ts[0]!.dtype;
  if (ts.some((t) => t.dtype !== dtype)) throw nodeError(c.node, `inputs mix dtypes ${ts.map((t) => t.dtype).join(', ')}`);
  const { axis, shape: dims } = concatShape(c.node, ts.map((t) => t.dims));
  const outer = sizeOf(dims.slice(0, axis));
  const data = arrayFor(dtype, sizeOf(dims)), dst = data as unknown as Elems;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const chunk = sizeOf(t.dims.slice(axis)), src = el(t);
      for (let q = 0; q < chunk; q++) dst[k++] = src[o * chunk + q]!;
    }
  }
  return [{ dtype, dims, data }];
};

const cast: FoldRule = (c) => {
  const t = constIn(c, 0, 'input');
  const to = ONNX_DTYPE[attrInt(c.node, 'to', 0)];
  if (!to || to === 'string') {
    const code = attrInt(c.node, 'to', 0);
    throw nodeError(c.node, `cannot cast to ONNX type ${code}${NEWER_ONNX_TYPES[code] ? ` (${NEWER_ONNX_TYPES[code]})` : ''}; the studio holds float and integer types`);
  }
  const data = arrayFor(to, t.data.length), dst = data as unknown as Elems, src = el(t);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    // Float to int truncates toward zero (typed arrays do this for 8..32-bit; BigInt needs it explicitly).
    if (to === 'bool') dst[i] = v ? 1 : 0;
    else if (isBig(to)) dst[i] = typeof v === 'bigint' ? v : BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
    else dst[i] = Number(v);
  }
  return [{ dtype: to, dims: [...t.dims], data }];
};

const slice: FoldRule = (c) => {
  const t = constIn(c, 0, 'data');
  const g = sliceGeometry(c, t.dims);
  const { offset, strides } = sliceStrides(t.dims, g);
  return [strided(t, g.dims, strides, offset)];
};

function arith(op: '+' | '-' | '*' | '/'): FoldRule {
  return (c) => {
    const a = constIn(c, 0, 'A'), b = constIn(c, 1, 'B');
    if (a.dtype !== b.dtype) throw nodeError(c.node, `A is ${a.dtype} but B is ${b.dtype}`);
    const dims = broadcastShapes(a.dims, b.dims);
    if (!dims) throw nodeError(c.node, `shapes ${fmt(a.dims)} and ${fmt(b.dims)} do not broadcast`);
    const oa = offsets(dims, broadcastStrides(a.dims, dims)), ob = offsets(dims, broadcastStrides(b.dims, dims));
    const data = arrayFor(a.dtype, sizeOf(dims)), dst = data as unknown as Elems, sa = el(a), sb = el(b);
    const intDiv = !isFloat(a.dtype);
    for (let i = 0; i < dst.length; i++) {
      const x = sa[oa[i]!]!, y = sb[ob[i]!]!;
      if (typeof x === 'bigint' && typeof y === 'bigint') {
        if (op === '/' && y === 0n) throw nodeError(c.node, 'integer division by zero');
        dst[i] = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : x / y; // BigInt division truncates
      } else {
        const p = Number(x), q = Number(y);
        if (op === '/' && intDiv && q === 0) throw nodeError(c.node, 'integer division by zero');
        dst[i] = op === '+' ? p + q : op === '-' ? p - q : op === '*' ? p * q : intDiv ? Math.trunc(p / q) : p / q;
      }
    }
    return [{ dtype: a.dtype, dims, data }];
  };
}

const constantOfShape: FoldRule = (c) => {
  const dims = toNumbers(constIn(c, 0, 'input'));
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw nodeError(c.node, `shape ${fmt(dims)} has a negative dim`);
  const v = c.node.attrs.value;
  const fill = v?.type === 'tensor' ? v.value : { dtype: 'float32' as DType, dims: [1], data: Float32Array.of(0) };
  const data = arrayFor(fill.dtype, sizeOf(dims)), dst = data as unknown as Elems, x = el(fill)[0]!;
  for (let i = 0; i < dst.length; i++) dst[i] = x;
  return [{ dtype: fill.dtype, dims, data }];
};

const range: FoldRule = (c) => {
  const [s, l, d] = [0, 1, 2].map((i) => {
    const t = constIn(c, i, ['start', 'limit', 'delta'][i]!);
    if (t.data.length !== 1) throw nodeError(c.node, `start, limit and delta must be scalars, got ${fmt(t.dims)}`);
    return toNumbers(t)[0]!;
  }) as [number, number, number];
  if (d === 0) throw nodeError(c.node, 'delta is 0');
  const dtype = c.consts[0]!.dtype;
  const n = Math.max(Math.ceil((l - s) / d), 0);
  const data = arrayFor(dtype, n), dst = data as unknown as Elems;
  for (let i = 0; i < n; i++) dst[i] = isBig(dtype) ? BigInt(s + i * d) : s + i * d;
  return [{ dtype, dims: [n], data }];
};

const transpose: FoldRule = (c) => {
  const t = constIn(c, 0, 'data');
  const perm = transposePerm(c.node, t.dims.length), st = stridesOf(t.dims);
  return [strided(t, perm.map((p) => t.dims[p]!), perm.map((p) => st[p]!))];
};

const dropout: FoldRule = (c) => {
  const t = constIn(c, 0, 'data');
  // Inference: output is the input, the mask all true.
  return [t, { dtype: 'bool', dims: [...t.dims], data: new Uint8Array(t.data.length).fill(1) }];
};

/** Sum, Max, Min on constants (shape arithmetic such as max(dim, 1)); int64 stays exact. */
function variadic(op: 'sum' | 'max' | 'min'): FoldRule {
  return (c) => {
    const ts = c.node.inputs.map((_, i) => constIn(c, i, `input ${i}`));
    let acc = ts[0]!;
    for (const t of ts.slice(1)) {
      if (t.dtype !== acc.dtype) throw nodeError(c.node, `inputs mix dtypes ${acc.dtype} and ${t.dtype}`);
      const dims = broadcastShapes(acc.dims, t.dims);
      if (!dims) throw nodeError(c.node, `shapes ${fmt(acc.dims)} and ${fmt(t.dims)} do not broadcast`);
      const oa = offsets(dims, broadcastStrides(acc.dims, dims)), ob = offsets(dims, broadcastStrides(t.dims, dims));
      const data = arrayFor(acc.dtype, sizeOf(dims)), dst = data as unknown as Elems, sa = el(acc), sb = el(t);
      for (let i = 0; i < dst.length; i++) {
        const p = sa[oa[i]!]!, q = sb[ob[i]!]!;
        // Both operands share a dtype, so both are bigint or both number.
        dst[i] = op === 'sum' ? ((p as number) + (q as number)) : (op === 'max') === (p > q) ? p : q;
      }
      acc = { dtype: acc.dtype, dims, data };
    }
    return [acc];
  };
}

/** ReduceSum/ReduceProd/ReduceMax/ReduceMin on constants (e.g. a numel computed from Shape). */
function reduceFold(op: 'sum' | 'prod' | 'max' | 'min'): FoldRule {
  return (c) => {
    const t = constIn(c, 0, 'data');
    const g = reduceGeometry(c, t.dims);
    if (g.noop) return [{ ...t, dims: g.shape }];
    const keptAxes = t.dims.map((_, i) => i).filter((i) => !g.axes.includes(i)), st = stridesOf(t.dims);
    const bases = offsets(keptAxes.map((i) => t.dims[i]!), keptAxes.map((i) => st[i]!));
    const within = offsets(g.axes.map((i) => t.dims[i]!), g.axes.map((i) => st[i]!));
    if (within.length === 0 && (op === 'max' || op === 'min')) throw nodeError(c.node, `cannot take the ${op} of an empty set (${fmt(t.dims)})`);
    const data = arrayFor(t.dtype, bases.length), dst = data as unknown as Elems, src = el(t), big = isBig(t.dtype);
    bases.forEach((b, o) => {
      let acc: number | bigint = op === 'prod' ? (big ? 1n : 1) : op === 'sum' ? (big ? 0n : 0) : src[b + within[0]!]!;
      for (const w of within) {
        const v = src[b + w]!;
        if (op === 'sum') acc = (acc as number) + (v as number);
        else if (op === 'prod') acc = (acc as number) * (v as number);
        else if (op === 'max' ? v > acc : v < acc) acc = v;
      }
      dst[o] = acc;
    });
    return [{ dtype: t.dtype, dims: g.shape, data }];
  };
}

const expand: FoldRule = (c) => {
  const t = constIn(c, 0, 'input');
  const dims = expandShape(c, t.dims);
  return [strided(t, dims, broadcastStrides(t.dims, dims))];
};

const tile: FoldRule = (c) => {
  const t = constIn(c, 0, 'input');
  const reps = tileRepeats(c, t.dims), st = stridesOf(t.dims);
  // (reps[0], d0, reps[1], d1, ...) read with stride 0 along each repeat axis.
  const out = strided(t, t.dims.flatMap((d, i) => [reps[i]!, d]), st.flatMap((s) => [0, s]));
  return [{ ...out, dims: t.dims.map((d, i) => d * reps[i]!) }];
};

const split: FoldRule = (c) => {
  const t = constIn(c, 0, 'input');
  const { axis, sizes } = splitGeometry(c, t.dims, c.node.outputs.length), st = stridesOf(t.dims);
  let start = 0;
  return sizes.map((n) => {
    const out = strided(t, t.dims.map((d, i) => (i === axis ? n : d)), st, start * st[axis]!);
    start += n;
    return out;
  });
};

export const FOLD_RULES: Readonly<Record<string, FoldRule>> = {
  Constant: constant, Shape: shape, Gather: gather, Concat: concat, Cast: cast, Slice: slice,
  Unsqueeze: view, Squeeze: view, Reshape: view, Flatten: view, Identity: view, Dropout: dropout,
  Add: arith('+'), Sub: arith('-'), Mul: arith('*'), Div: arith('/'),
  ConstantOfShape: constantOfShape, Range: range, Transpose: transpose,
  Sum: variadic('sum'), Max: variadic('max'), Min: variadic('min'),
  ReduceSum: reduceFold('sum'), ReduceProd: reduceFold('prod'), ReduceMax: reduceFold('max'), ReduceMin: reduceFold('min'),
  Expand: expand, Tile: tile, Split: split,
};
