/**
 * Static shape rules for the ops the engine runs, following the ONNX spec for opsets 7..21. Each rule
 * sees concrete input shapes (and constant inputs where known) and returns one {dtype, shape} per
 * node output. Any inconsistency is a ModelError that names the node, the op and the shapes, since a
 * wrong shape found here is far cheaper to explain than a garbage result found on the GPU.
 */
import { ONNX_DTYPE } from '../core/dtype';
import { broadcastShapes, normAxis, sameShape, sizeOf } from '../core/shape';
import { attrInt, attrInts, attrString, type Node } from './ir';
import { axisIn, constInts, fmt, input, nodeError, type OpContext, type ShapeRule, type ValueType } from './shape-rule-base';
import { TENSOR_SHAPE_RULES } from './shape-rules-tensor';

export * from './shape-rule-base';

function needRank(c: OpContext, v: ValueType, ok: (r: number) => boolean, role: string, want: string): void {
  if (!ok(v.shape.length)) throw nodeError(c.node, `${role} must be ${want}, got ${fmt(v.shape)}`);
}

// ---- conv / pool geometry -------------------------------------------------------------------

export interface ConvGeometry { pads: number[]; strides: number[]; dilations: number[]; kernel: number[] }

/**
 * Resolved geometry of a Conv or pooling node for an (N, C, spatial...) input: pads in ONNX order
 * (all begins, then all ends) with auto_pad already applied, so kernels never read auto_pad.
 * `weightShape` may be the full Conv weight [M, C/group, k...] or just the kernel's spatial dims;
 * pooling passes nothing and the kernel comes from kernel_shape.
 */
export function convPads(node: Node, inputShape: readonly number[], weightShape?: readonly number[]): ConvGeometry {
  const s = inputShape.length - 2;
  if (s < 1) throw nodeError(node, `input must be [N,C,spatial...], got ${fmt(inputShape)}`);
  let kernel = attrInts(node, 'kernel_shape', []);
  if (weightShape) {
    const k = weightShape.length === s + 2 ? weightShape.slice(2) : [...weightShape];
    if (kernel.length && !sameShape(kernel, k)) {
      throw nodeError(node, `kernel_shape ${fmt(kernel)} disagrees with weight ${fmt(weightShape)}`);
    }
    kernel = k;
  }
  const strides = attrInts(node, 'strides', new Array<number>(s).fill(1));
  const dilations = attrInts(node, 'dilations', new Array<number>(s).fill(1));
  let pads = attrInts(node, 'pads', new Array<number>(2 * s).fill(0));
  const bad = (v: number[], n: number, min: number) => v.length !== n || v.some((x) => !Number.isInteger(x) || x < min);
  if (bad(kernel, s, 1)) throw nodeError(node, `kernel ${fmt(kernel)} does not fit a ${s}-D spatial input ${fmt(inputShape)}`);
  if (bad(strides, s, 1)) throw nodeError(node, `strides ${fmt(strides)} must be ${s} positive integers`);
  if (bad(dilations, s, 1)) throw nodeError(node, `dilations ${fmt(dilations)} must be ${s} positive integers`);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = new Array<number>(2 * s).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // Pad so that out = ceil(in / stride); an odd total puts the extra pixel at the end (UPPER) or the start (LOWER).
    pads = new Array<number>(2 * s).fill(0);
    for (let i = 0; i < s; i++) {
      const inp = inputShape[2 + i]!, st = strides[i]!, ek = (kernel[i]! - 1) * dilations[i]! + 1;
      const total = Math.max(0, (Math.ceil(inp / st) - 1) * st + ek - inp);
      const small = Math.floor(total / 2), big = total - small;
      pads[i] = autoPad === 'SAME_UPPER' ? small : big;
      pads[i + s] = autoPad === 'SAME_UPPER' ? big : small;
    }
  } else if (autoPad !== 'NOTSET') {
    throw nodeError(node, `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
  if (bad(pads, 2 * s, 0)) throw nodeError(node, `pads ${fmt(pads)} must be ${2 * s} non-negative integers`);
  return { pads, strides, dilations, kernel };
}

/** Pooling uses the same geometry (kernel from kernel_shape). */
export const poolPads = (node: Node, inputShape: readonly number[]): ConvGeometry => convPads(node, inputShape);

/** Output spatial dims. In ceil mode a window that would start inside the end padding is dropped
 *  (ONNX PR #5741, matching onnxruntime and PyTorch). */
export function spatialOut(node: Node, inputShape: readonly number[], g: ConvGeometry, ceil: boolean): number[] {
  return g.kernel.map((k, i) => {
    const inp = inputShape[2 + i]!, st = g.strides[i]!, pb = g.pads[i]!;
    const span = inp + pb + g.pads[i + g.kernel.length]! - ((k - 1) * g.dilations[i]! + 1);
    if (span < 0) {
      throw nodeError(node, `input ${fmt(inputShape)} with pads ${fmt(g.pads)} is smaller than the kernel ${fmt(g.kernel)} (dilations ${fmt(g.dilations)})`);
    }
    let out = (ceil ? Math.ceil(span / st) : Math.floor(span / st)) + 1;
    if (ceil && (out - 1) * st >= inp + pb) out--;
    return out;
  });
}

const conv: ShapeRule = (c) => {
  const x = input(c, 0, 'X'), w = input(c, 1, 'W');
  needRank(c, x, (r) => r >= 3, 'X', '[N,C,spatial...]');
  if (w.shape.length !== x.shape.length) throw nodeError(c.node, `W is ${fmt(w.shape)} but X is ${fmt(x.shape)}; their ranks differ`);
  const group = attrInt(c.node, 'group', 1);
  const [n, ch] = x.shape as [number, number];
  const [m, perGroup] = w.shape as [number, number];
  if (group < 1 || ch !== perGroup * group) {
    throw nodeError(c.node, `X is ${fmt(x.shape)} with ${ch} channels but W is ${fmt(w.shape)} with group=${group}, which expects ${perGroup * group}`);
  }
  if (m % group !== 0) throw nodeError(c.node, `W is ${fmt(w.shape)}: ${m} output channels do not divide into group=${group}`);
  const b = c.inputs[2];
  if (b && !sameShape(b.shape, [m])) throw nodeError(c.node, `B is ${fmt(b.shape)} but W is ${fmt(w.shape)}; B must be [${m}]`);
  const g = convPads(c.node, x.shape, w.shape);
  return [{ dtype: x.dtype, shape: [n, m, ...spatialOut(c.node, x.shape, g, false)] }];
};

const pool: ShapeRule = (c) => {
  const x = input(c, 0, 'X');
  needRank(c, x, (r) => r >= 3, 'X', '[N,C,spatial...]');
  if (c.node.outputs[1]) throw nodeError(c.node, `the Indices output '${c.node.outputs[1]}' is not supported`);
  const g = poolPads(c.node, x.shape);
  const ceil = attrInt(c.node, 'ceil_mode', 0) === 1;
  return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...spatialOut(c.node, x.shape, g, ceil)] }];
};

const globalPool: ShapeRule = (c) => {
  const x = input(c, 0, 'X');
  needRank(c, x, (r) => r >= 3, 'X', '[N,C,spatial...]');
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }];
};

const batchNorm: ShapeRule = (c) => {
  if (attrInt(c.node, 'training_mode', 0) === 1) throw nodeError(c.node, 'training_mode=1 is not supported; export the model in eval mode');
  if (c.node.outputs.slice(1).some(Boolean)) throw nodeError(c.node, 'running mean/var outputs exist only in training; export the model in eval mode');
  const x = input(c, 0, 'X');
  needRank(c, x, (r) => r >= 2, 'X', '[N,C,...]');
  ['scale', 'B', 'mean', 'var'].forEach((role, i) => {
    const p = input(c, i + 1, role);
    if (!sameShape(p.shape, [x.shape[1]!])) throw nodeError(c.node, `${role} is ${fmt(p.shape)} but X is ${fmt(x.shape)}; expected [${x.shape[1]}]`);
  });
  return [{ dtype: x.dtype, shape: x.shape }];
};

const gemm: ShapeRule = (c) => {
  const a = input(c, 0, 'A'), b = input(c, 1, 'B');
  needRank(c, a, (r) => r === 2, 'A', '2-D');
  needRank(c, b, (r) => r === 2, 'B', '2-D');
  const ta = attrInt(c.node, 'transA', 0) !== 0, tb = attrInt(c.node, 'transB', 0) !== 0;
  const [m, ka] = (ta ? [a.shape[1], a.shape[0]] : a.shape) as [number, number];
  const [kb, n] = (tb ? [b.shape[1], b.shape[0]] : b.shape) as [number, number];
  if (ka !== kb) {
    throw nodeError(c.node, `A is ${fmt(a.shape)}${ta ? ' (transA=1)' : ''} but B is ${fmt(b.shape)}${tb ? ' (transB=1)' : ''}; inner dimensions ${ka} and ${kb} differ`);
  }
  const bias = c.inputs[2];
  if (bias) {
    const bc = broadcastShapes(bias.shape, [m, n]);
    if (!bc || !sameShape(bc, [m, n])) throw nodeError(c.node, `C is ${fmt(bias.shape)}, which does not broadcast to the output [${m},${n}]`);
  }
  return [{ dtype: a.dtype, shape: [m, n] }];
};

const matmul: ShapeRule = (c) => {
  const a = input(c, 0, 'A'), b = input(c, 1, 'B');
  needRank(c, a, (r) => r >= 1, 'A', 'at least 1-D');
  needRank(c, b, (r) => r >= 1, 'B', 'at least 1-D');
  // numpy: a 1-D A is a row [1,K], a 1-D B a column [K,1]; the added dim is dropped again.
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const ka = as[as.length - 1]!, kb = bs[bs.length - 2]!;
  if (ka !== kb) throw nodeError(c.node, `A is ${fmt(a.shape)} but B is ${fmt(b.shape)}; inner dimensions ${ka} and ${kb} differ`);
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
  if (!batch) throw nodeError(c.node, `A is ${fmt(a.shape)} but B is ${fmt(b.shape)}; batch dimensions do not broadcast`);
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(as[as.length - 2]!);
  if (b.shape.length > 1) shape.push(bs[bs.length - 1]!);
  return [{ dtype: a.dtype, shape }];
};

const broadcast: ShapeRule = (c) => {
  const a = input(c, 0, 'A'), b = input(c, 1, 'B');
  if (a.dtype !== b.dtype) throw nodeError(c.node, `A is ${a.dtype} but B is ${b.dtype}`);
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw nodeError(c.node, `shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not broadcast`);
  return [{ dtype: a.dtype, shape }];
};

const same: ShapeRule = (c) => [{ ...input(c, 0, 'X') }];

const dropout: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  return [{ ...x }, { dtype: 'bool', shape: x.shape }];
};

const softmax: ShapeRule = (c) => {
  const x = input(c, 0, 'input');
  axisIn(c.node, attrInt(c.node, 'axis', c.opset >= 13 ? -1 : 1), Math.max(x.shape.length, 1));
  return [{ ...x }];
};

const flatten: ShapeRule = (c) => {
  const x = input(c, 0, 'input');
  const r = x.shape.length, axis = attrInt(c.node, 'axis', 1);
  if (axis < -r || axis > r) throw nodeError(c.node, `axis ${axis} is out of range for ${fmt(x.shape)}`);
  const a = normAxis(axis, r);
  return [{ dtype: x.dtype, shape: [sizeOf(x.shape.slice(0, a)), sizeOf(x.shape.slice(a))] }];
};

/** Reshape target: 0 copies the input dim (unless allowzero), one -1 takes what is left. */
export function reshapeDims(node: Node, inShape: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const total = sizeOf(inShape);
  const why = () => `cannot reshape ${fmt(inShape)} (${total} elements) to ${fmt(target)}`;
  let infer = -1;
  const out = target.map((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw nodeError(node, `${why()}: more than one -1`);
      infer = i;
      return 1;
    }
    if (d === 0 && !allowZero) {
      if (i >= inShape.length) throw nodeError(node, `${why()}: 0 at position ${i} has no input dim to copy`);
      return inShape[i]!;
    }
    if (!Number.isInteger(d) || d < 0) throw nodeError(node, `${why()}: ${d} is not a valid dim`);
    return d;
  });
  if (infer >= 0) {
    const known = sizeOf(out);
    if (known === 0 || total % known !== 0) throw nodeError(node, `${why()}: ${total} is not a multiple of ${known}`);
    out[infer] = total / known;
  } else if (sizeOf(out) !== total) {
    throw nodeError(node, `${why()} (${sizeOf(out)} elements)`);
  }
  return out;
}

const reshape: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  const allowZero = c.opset >= 14 && attrInt(c.node, 'allowzero', 0) === 1;
  return [{ dtype: x.dtype, shape: reshapeDims(c.node, x.shape, constInts(c, 1, 'shape'), allowZero) }];
};

export function transposePerm(node: Node, rank: number): number[] {
  const perm = attrInts(node, 'perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
  const seen = new Set(perm);
  if (perm.length !== rank || seen.size !== rank || perm.some((p) => !(p >= 0 && p < rank))) {
    throw nodeError(node, `perm ${fmt(perm)} is not a permutation of ${rank} axes`);
  }
  return perm;
}

const transpose: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  return [{ dtype: x.dtype, shape: transposePerm(c.node, x.shape.length).map((p) => x.shape[p]!) }];
};

/** Concat's normalised axis and output shape; every other dim must agree. */
export function concatShape(node: Node, shapes: readonly (readonly number[])[]): { axis: number; shape: number[] } {
  if (!('axis' in node.attrs)) throw nodeError(node, 'the axis attribute is required');
  if (shapes.length === 0) throw nodeError(node, 'needs at least one input');
  const first = shapes[0]!;
  const axis = axisIn(node, attrInt(node, 'axis', 0), first.length);
  const shape = [...first];
  for (const s of shapes.slice(1)) {
    if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
      throw nodeError(node, `inputs ${shapes.map(fmt).join(', ')} differ outside axis ${axis}`);
    }
    shape[axis]! += s[axis]!;
  }
  return { axis, shape };
}

const concat: ShapeRule = (c) => {
  const ins = c.node.inputs.map((_, i) => input(c, i, `input ${i}`));
  if (ins.some((v) => v.dtype !== ins[0]!.dtype)) throw nodeError(c.node, `inputs mix dtypes ${ins.map((v) => v.dtype).join(', ')}`);
  return [{ dtype: ins[0]!.dtype, shape: concatShape(c.node, ins.map((v) => v.shape)).shape }];
};

/** Squeeze/Unsqueeze axes: an attribute before opset 13, an (optional for Squeeze) input from 13. */
function axesOf(c: OpContext): number[] | undefined {
  if (c.opset < 13) return 'axes' in c.node.attrs ? attrInts(c.node, 'axes', []) : undefined;
  return c.node.inputs[1] ? constInts(c, 1, 'axes') : undefined;
}

const squeeze: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  const axes = axesOf(c);
  if (!axes) return [{ dtype: x.dtype, shape: x.shape.filter((d) => d !== 1) }];
  const drop = new Set(axes.map((a) => axisIn(c.node, a, x.shape.length)));
  for (const a of drop) {
    if (x.shape[a] !== 1) throw nodeError(c.node, `cannot squeeze axis ${a} of ${fmt(x.shape)}: its size is ${x.shape[a]}, not 1`);
  }
  return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !drop.has(i)) }];
};

const unsqueeze: ShapeRule = (c) => {
  const x = input(c, 0, 'data');
  const axes = axesOf(c);
  if (!axes) throw nodeError(c.node, c.opset < 13 ? 'the axes attribute is required before opset 13' : 'the axes input is required from opset 13');
  const rank = x.shape.length + axes.length;
  const add = new Set(axes.map((a) => axisIn(c.node, a, rank)));
  if (add.size !== axes.length) throw nodeError(c.node, `axes ${fmt(axes)} repeat an axis`);
  let k = 0;
  return [{ dtype: x.dtype, shape: Array.from({ length: rank }, (_, i) => (add.has(i) ? 1 : x.shape[k++]!)) }];
};

/**
 * QuantizeLinear / DequantizeLinear: same shape; the scale and zero point are a scalar (per
 * tensor) or a 1-D tensor along `axis`. Q's output type is its zero point's (uint8 when absent).
 */
function linearQuantRule(quantize: boolean): ShapeRule {
  return (c) => {
    const x = input(c, 0, 'x'), scale = input(c, 1, 'scale'), zero = c.inputs[2];
    if (attrInt(c.node, 'block_size', 0) > 0) throw nodeError(c.node, 'blocked quantization (block_size, opset 21) is not supported; quantize per tensor or per axis');
    const per = sizeOf(scale.shape);
    if (scale.shape.length > 1) throw nodeError(c.node, `scale is ${fmt(scale.shape)}; it must be a scalar or 1-D`);
    if (per > 1) {
      const axis = axisIn(c.node, attrInt(c.node, 'axis', 1), x.shape.length);
      if (x.shape[axis] !== per) throw nodeError(c.node, `scale has ${per} values but axis ${axis} of x ${fmt(x.shape)} has ${x.shape[axis]}`);
    }
    if (zero && sizeOf(zero.shape) !== per) throw nodeError(c.node, `zero point ${fmt(zero.shape)} and scale ${fmt(scale.shape)} differ in shape`);
    if (quantize) {
      const declared = attrInt(c.node, 'output_dtype', 0); // opset 21; the zero point's type otherwise
      const dtype = zero?.dtype ?? (declared ? ONNX_DTYPE[declared] : undefined) ?? 'uint8';
      if (!QUANTIZED_TYPES.has(dtype)) throw nodeError(c.node, `quantizing to ${dtype} is not supported (int8, uint8, int16, uint16)`);
      return [{ dtype, shape: x.shape }];
    }
    return [{ dtype: 'float32', shape: x.shape }];
  };
}
export const QUANTIZED_TYPES: ReadonlySet<string> = new Set(['int8', 'uint8', 'int16', 'uint16']);

const dynamicQuantize: ShapeRule = (c) => {
  const x = input(c, 0, 'x');
  return [{ dtype: 'uint8', shape: x.shape }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }];
};

/** The engine's int8 matmul (engine/lower-qdq.ts): x (..., K) times weights stored (N, K) or (K, N). */
const int8Gemm: ShapeRule = (c) => {
  const x = input(c, 0, 'x'), w = input(c, 1, 'weights');
  const rows = attrInt(c.node, 'rows_are_outputs', 1) !== 0;
  const [n, k] = (rows ? w.shape : [w.shape[1], w.shape[0]]) as [number, number];
  if (x.shape[x.shape.length - 1] !== k) throw nodeError(c.node, `x is ${fmt(x.shape)} but the weights ${fmt(w.shape)} need K = ${k} last`);
  return [{ dtype: 'float32', shape: [...x.shape.slice(0, -1), n] }];
};

/**
 * The engine's binary ops (engine/ops-binary.ts): the float op's shape, its weight taken from
 * 'weight_shape' once the packed bits (N, ceil(K/32)) uint32, alpha (N) and bias (N) fit it.
 */
function binaryRule(float: ShapeRule, attrs: Node['attrs']): ShapeRule {
  return (c) => {
    const ws = attrInts(c.node, 'weight_shape', []);
    if (ws.length < 2 || ws.some((d) => !Number.isInteger(d) || d < 1)) throw nodeError(c.node, `weight_shape ${fmt(ws)} must hold the float weight's dims`);
    const n = ws[0]!, k32 = Math.ceil(sizeOf(ws) / n / 32);
    const bits = input(c, 1, 'bits'), alpha = input(c, 2, 'alpha'), bias = c.inputs[3];
    if (bits.dtype !== 'uint32' || !sameShape(bits.shape, [n, k32])) {
      throw nodeError(c.node, `bits are ${bits.dtype} ${fmt(bits.shape)}, but weight_shape ${fmt(ws)} packs into uint32 [${n},${k32}]`);
    }
    for (const [role, v] of [['alpha', alpha], ['bias', bias]] as const) {
      if (v && !sameShape(v.shape, [n])) throw nodeError(c.node, `${role} is ${fmt(v.shape)}; weight_shape ${fmt(ws)} needs [${n}]`);
    }
    const node = { ...c.node, attrs: { ...c.node.attrs, ...attrs } };
    return float({ ...c, node, inputs: [c.inputs[0], { dtype: 'float32', shape: ws }, bias], consts: [] });
  };
}

export const SHAPE_RULES = {
  Conv: conv, Gemm: gemm, MatMul: matmul,
  // The engine's lowered integer ops (engine/lower-qdq.ts) have the shapes of the ops they replace.
  StudioInt8Conv: conv, StudioInt8Gemm: int8Gemm, StudioFakeQuant: same,
  StudioDynamicRange: (c) => { input(c, 0, 'x'); return [{ dtype: 'float32', shape: [4] }]; }, // (scale, zero, 1/scale, 0)
  QuantizeLinear: linearQuantRule(true), DequantizeLinear: linearQuantRule(false), DynamicQuantizeLinear: dynamicQuantize,
  StudioXnorConv: binaryRule(conv, {}),
  StudioXnorGemm: binaryRule(gemm, { transA: { type: 'int', value: 0 }, transB: { type: 'int', value: 1 } }),
  // Quantisation-aware training's straight-through nodes (train/qat.ts): elementwise on input 0.
  StudioSignSTE: same, StudioFakeQuantSTE: same,
  Add: broadcast, Sub: broadcast, Mul: broadcast, Div: broadcast,
  Relu: same, LeakyRelu: same, Sigmoid: same, Tanh: same, Clip: same, Identity: same, Dropout: dropout,
  MaxPool: pool, AveragePool: pool, GlobalAveragePool: globalPool, BatchNormalization: batchNorm,
  Flatten: flatten, Reshape: reshape, Transpose: transpose, Concat: concat, Squeeze: squeeze, Unsqueeze: unsqueeze,
  Softmax: softmax, LogSoftmax: softmax,
  ...TENSOR_SHAPE_RULES,
} as const satisfies Record<string, ShapeRule>;

/** Ops with a static shape rule, i.e. the ops that may be left for the GPU. */
export const SHAPE_RULE_OPS: ReadonlySet<string> = new Set(Object.keys(SHAPE_RULES));

/** The name of an op the GPU may run: lists of op names elsewhere are typed by it, so a misspelt name fails to compile. */
export type GpuOpName = keyof typeof SHAPE_RULES;

/** Whether `op` is one of them (a node's opType is any string an ONNX file holds). */
export const isGpuOp = (op: string): op is GpuOpName => SHAPE_RULE_OPS.has(op);

/** The shape rule of `op`, if the GPU may run it. */
export const shapeRuleOf = (op: string): ShapeRule | undefined => (isGpuOp(op) ? SHAPE_RULES[op] : undefined);
