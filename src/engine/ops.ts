/**
 * The one table of ops: each ONNX op the engine runs maps to its kernel calls here. Adding an op
 * touches this table and one kernel group. View ops (Reshape, Flatten, ...) alias their input's
 * buffer and cost no dispatch.
 */
import type { Node, TensorData } from '../model/ir';
import { attrFloat, attrInt, attrInts } from '../model/ir';
import { ModelError } from '../core/errors';
import { normAxis, sizeOf } from '../core/shape';
import { convPads } from '../model/resolve';
import type { OpImpl, OpCall } from './op-types';
import type { GpuTensor } from '../kernels/common';
import { unary } from '../kernels/unary';
import { conv2d } from '../kernels/conv';
import { pool2d, globalAvgPool, globalAvgPoolScratch } from '../kernels/pool';
import { channelAffine, batchNormToAffine } from '../kernels/channel-affine';
import { batchNormParams } from '../kernels/batchnorm-params';
import { matmul } from '../kernels/matmul';
import { binary, type BinaryOp } from '../kernels/binary';
import { transpose } from '../kernels/transpose';
import { concat } from '../kernels/concat';
import { softmax } from '../kernels/softmax';
import { activationOf } from './fuse';
import { INT8_OPS } from './ops-int8';
import { BINARY_OPS } from './ops-binary';
import { TENSOR_OPS } from './ops-tensor';
import { sparseConv, sparseGemm, sparseMatMul } from './ops-sparse';

export type { OpCall, OpImpl } from './op-types';

const view: OpImpl = { alias: true };
/** Ops that only reinterpret their input's shape (Dropout at inference): no dispatch, and in training dy passes through. */
export const VIEW_OPS = ['Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout'] as const;

function need(cond: unknown, node: Node, why: string): asserts cond {
  if (!cond) throw new ModelError(`node '${node.name}' (${node.opType}): ${why}`);
}

/** Reads an (N, C, spatial...) tensor as 2-D spatial; 1-D becomes H = 1. */
function as4d(t: GpuTensor, node: Node): GpuTensor {
  const s = t.shape;
  need(s.length === 3 || s.length === 4, node, `only 1-D and 2-D spatial inputs are supported, got rank ${s.length} [${s}]`);
  return s.length === 4 ? t : { buffer: t.buffer, shape: [s[0]!, s[1]!, 1, s[2]!] };
}

function spatial2(v: number[], fill: number): [number, number] {
  return v.length === 1 ? [fill, v[0]!] : [v[0]!, v[1]!];
}

function pads4(p: number[]): [number, number, number, number] {
  // ONNX pads: begins then ends; 1-D [b, e] becomes top 0, left b, bottom 0, right e.
  return p.length === 2 ? [0, p[0]!, 0, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
}

function convLike(c: OpCall, kernelShape: number[]) {
  const x = c.input(0);
  const g = convPads(c.node, x.shape, kernelShape);
  return { pads: pads4(g.pads), strides: spatial2(g.strides, 1), dilations: spatial2(g.dilations, 1) };
}

const conv: OpImpl = {
  plan(c) {
    // The weight's shape from the host constant when there is one, so a sparse run never uploads the dense copy.
    const wShape = c.constant(1)?.dims ?? c.input(1).shape;
    const attrs = { ...convLike(c, wShape.slice(2)), group: attrInt(c.node, 'group', 1), act: c.act };
    const [x4, y4] = [as4d(c.input(0), c.node), as4d(c.output(0), c.node)];
    // A pruned 2-D weight may run sparse (ops-sparse.ts: measured rule, dense otherwise); 1-D ones stay dense.
    const sparse = wShape.length === 4 ? sparseConv(c, x4, y4, attrs) : null;
    return sparse ?? conv2d(c.ctx, x4, as4d(c.input(1), c.node), c.hasInput(2) ? c.input(2) : null, y4, attrs, c.node.name);
  },
};

function pool(kind: 'max' | 'avg'): OpImpl {
  return {
    plan(c) {
      need(c.node.outputs.filter(Boolean).length === 1, c.node, 'the Indices output of MaxPool is not supported');
      const kernel = attrInts(c.node, 'kernel_shape', []);
      const geo = convLike(c, kernel);
      return pool2d(c.ctx, as4d(c.input(0), c.node), as4d(c.output(0), c.node), {
        kind, kernel: spatial2(kernel, 1), ...geo, countIncludePad: attrInt(c.node, 'count_include_pad', 0) === 1,
      }, c.node.name);
    },
  };
}

const batchNorm: OpImpl = {
  plan(c) {
    need(attrInt(c.node, 'training_mode', 0) === 0, c.node, 'training_mode=1 is not supported (inference only)');
    const eps = attrFloat(c.node, 'epsilon', 1e-5);
    const params = [1, 2, 3, 4].map((i) => c.constant(i));
    if (params.every((p) => p?.dtype === 'float32')) {
      // Constant parameters (the usual case): fold to one scale and shift on the host, once.
      const [gamma, beta, mean, variance] = params.map((p) => p!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const { scale, shift } = batchNormToAffine(gamma, beta, mean, variance, eps);
      return channelAffine(c.ctx, c.input(0), c.upload(`${c.node.name}:scale`, scale), c.upload(`${c.node.name}:shift`, shift),
        c.output(0), c.act, c.node.name);
    }
    const C = c.input(0).shape[1]!;
    const scale = c.scratch(`${c.node.name}:scale`, [C]), shift = c.scratch(`${c.node.name}:shift`, [C]);
    return [
      ...batchNormParams(c.ctx, c.input(1), c.input(2), c.input(3), c.input(4), scale, shift, eps, `${c.node.name}:params`),
      ...channelAffine(c.ctx, c.input(0), scale, shift, c.output(0), c.act, c.node.name),
    ];
  },
};

/** Clip whose bounds are computed at run time: max with the lower, then min with the upper. */
const clip: OpImpl = {
  plan(c) {
    const act = activationOf(c.node, constantsOf(c), c.opset);
    if (act) return unary(c.ctx, c.input(0), c.output(0), act, c.node.name);
    const x = c.input(0), y = c.output(0);
    const lo = c.hasInput(1) ? c.input(1) : null, hi = c.hasInput(2) ? c.input(2) : null;
    if (lo && hi) {
      const mid = c.scratch(`${c.node.name}:max`, y.shape);
      return [...binary(c.ctx, 'max', x, lo, mid, `${c.node.name}:max`), ...binary(c.ctx, 'min', mid, hi, y, `${c.node.name}:min`)];
    }
    return binary(c.ctx, lo ? 'max' : 'min', x, (lo ?? hi)!, y, c.node.name);
  },
};

const gemm: OpImpl = {
  plan(c) {
    const f = (n: string, d: number) => (c.node.attrs[n]?.type === 'float' ? (c.node.attrs[n] as { value: number }).value : d);
    // A pruned constant weight may run sparse (ops-sparse.ts: measured rule, dense otherwise).
    const sparse = sparseGemm(c, f('alpha', 1), f('beta', 1));
    if (sparse) return sparse;
    return matmul(c.ctx, c.input(0), c.input(1), c.hasInput(2) ? c.input(2) : null, c.output(0), {
      transA: attrInt(c.node, 'transA', 0) === 1, transB: attrInt(c.node, 'transB', 0) === 1,
      alpha: f('alpha', 1), beta: f('beta', 1), act: c.act,
    }, c.node.name);
  },
};

const matMul: OpImpl = {
  plan(c) {
    // numpy promotion of 1-D operands: [K] @ B is [1,K] @ B, A @ [K] is A @ [K,1]; the output buffer is the same.
    const sparse = sparseMatMul(c);
    if (sparse) return sparse;
    const a = c.input(0), b = c.input(1), y = c.output(0);
    const a2 = a.shape.length === 1 ? { buffer: a.buffer, shape: [1, a.shape[0]!] } : a;
    const b2 = b.shape.length === 1 ? { buffer: b.buffer, shape: [b.shape[0]!, 1] } : b;
    const batch = (s: number[]) => s.slice(0, -2);
    const bA = batch(a2.shape), bB = batch(b2.shape);
    const rank = Math.max(bA.length, bB.length);
    const outBatch = Array.from({ length: rank }, (_, i) => Math.max(bA[bA.length - rank + i] ?? 1, bB[bB.length - rank + i] ?? 1));
    const y2 = { buffer: y.buffer, shape: [...outBatch, a2.shape.at(-2)!, b2.shape.at(-1)!] };
    need(sizeOf(y2.shape) === sizeOf(y.shape), c.node, `unexpected output shape [${y.shape}]`);
    return matmul(c.ctx, a2, b2, null, y2, { transA: false, transB: false, alpha: 1, beta: 0, act: c.act }, c.node.name);
  },
};

function elementwise(op: BinaryOp): OpImpl {
  return { plan: (c) => binary(c.ctx, op, c.input(0), c.input(1), c.output(0), c.node.name) };
}

function activation(): OpImpl {
  return {
    plan(c) {
      const a = activationOf(c.node, constantsOf(c), c.opset);
      need(a, c.node, 'unexpected activation');
      return unary(c.ctx, c.input(0), c.output(0), a, c.node.name);
    },
  };
}

function constantsOf(c: OpCall): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  c.node.inputs.forEach((name, i) => { const t = i > 0 && name ? c.constant(i) : undefined; if (t) out[name] = t; });
  return out;
}

function softmaxOp(log: boolean): OpImpl {
  return {
    plan(c) {
      const x = c.input(0), y = c.output(0);
      const rank = x.shape.length;
      if (c.opset >= 13) {
        const axis = normAxis(attrInt(c.node, 'axis', -1), rank);
        return softmax(c.ctx, x, y, axis, log, c.node.name);
      }
      // Before opset 13 the input is coerced to 2-D at `axis` and normalised over the whole trailing block.
      const axis = normAxis(attrInt(c.node, 'axis', 1), rank);
      const shape2 = [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))];
      return softmax(c.ctx, { buffer: x.buffer, shape: shape2 }, { buffer: y.buffer, shape: shape2 }, 1, log, c.node.name);
    },
  };
}

export const OPS: Record<string, OpImpl> = {
  Conv: conv,
  Gemm: gemm,
  MatMul: matMul,
  Add: elementwise('add'),
  Sub: elementwise('sub'),
  Mul: elementwise('mul'),
  Div: elementwise('div'),
  Relu: activation(),
  LeakyRelu: activation(),
  Sigmoid: activation(),
  Tanh: activation(),
  HardSigmoid: activation(),
  HardSwish: activation(),
  Clip: clip,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: {
    plan(c) {
      const x = as4d(c.input(0), c.node);
      const need = globalAvgPoolScratch(x.shape);
      return globalAvgPool(c.ctx, x, as4d(c.output(0), c.node), c.node.name, need ? c.scratch(`${c.node.name}:slices`, [need]).buffer : undefined);
    },
  },
  BatchNormalization: batchNorm,
  Transpose: {
    plan(c) {
      const rank = c.input(0).shape.length;
      const perm = attrInts(c.node, 'perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
      return transpose(c.ctx, c.input(0), c.output(0), perm, c.node.name);
    },
  },
  Concat: {
    plan(c) {
      const inputs = c.node.inputs.map((_, i) => c.input(i));
      const axis = normAxis(attrInt(c.node, 'axis', 0), inputs[0]!.shape.length);
      return concat(c.ctx, inputs, c.output(0), axis, c.node.name);
    },
  },
  Softmax: softmaxOp(false),
  LogSoftmax: softmaxOp(true),
  ...Object.fromEntries(VIEW_OPS.map((op) => [op, view])),
  ...INT8_OPS,
  ...BINARY_OPS,
  ...TENSOR_OPS,
};

/** ONNX ops the engine runs on the GPU (the Studio* ops are internal, made by lowering). */
export const RUNNABLE_OPS: ReadonlySet<string> = new Set(Object.keys(OPS).filter((op) => !op.startsWith('Studio')));
