/**
 * The gradient-rule table, beside the op table (engine/ops.ts): one entry per op that training can
 * differentiate, saying which forward values its backward reads and which kernels it emits. A rule
 * WRITES each input gradient it is asked for (dx(i) hands it a fresh buffer) or passes an existing
 * tensor through (views); the backward planner sums contributions when a value has several
 * consumers, so no rule accumulates and no gradient buffer needs zeroing between steps.
 */
import type { Dispatch, GpuContext } from '../gpu/context';
import type { Node, TensorData } from '../model/ir';
import { attrFloat, attrInt, attrInts, attrString } from '../model/ir';
import { ModelError } from '../core/errors';
import { normAxis, sameShape, sizeOf } from '../core/shape';
import { convPads } from '../model/resolve';
import type { GpuTensor } from '../kernels/common';
import { matmul } from '../kernels/matmul';
import { binary } from '../kernels/binary';
import { transpose } from '../kernels/transpose';
import { split } from '../kernels/tensor-copy';
import { activationOf } from '../engine/fuse';
import { VIEW_OPS } from '../engine/ops';
import { conv2dGradInput, conv2dGradWeight, channelSum } from '../kernels/conv-grad';
import { activationGrad, batchNormTrainBackward, globalAvgPoolGrad, pool2dGrad, reduceToShape } from '../kernels/train-grads';
import { fakeQuantSteGrad, signSteGrad, steChannelStat, type FakeQuantGrid } from '../kernels/qat-ste';

export interface GradCall {
  ctx: GpuContext;
  node: Node;
  opset: number;
  /** Forward input i (a runtime value, a parameter or a constant on the GPU). */
  x(i: number): GpuTensor;
  hasInput(i: number): boolean;
  /** Host value of input i when it is a frozen constant. */
  constant(i: number): TensorData | undefined;
  /** Forward output i. */
  y(i: number): GpuTensor;
  /** ∂L/∂(output i). */
  dy(i: number): GpuTensor;
  /** Whether ∂L/∂(input i) is wanted (it leads to a parameter). */
  wants(i: number): boolean;
  /** A fresh buffer, shaped as input i, for the rule to write ∂L/∂(input i) into. */
  dx(i: number): GpuTensor;
  /** Registers an existing tensor (same element count as input i) as ∂L/∂(input i): views cost nothing. */
  passDx(i: number, t: GpuTensor): void;
  /** Values the training forward saved for this node (BatchNorm's batch mean and 1/σ). */
  saved(key: string): GpuTensor;
  /** A plan-owned buffer for an intermediate. */
  scratch(label: string, shape: number[]): GpuTensor;
}

export interface GradRule {
  /** Which forward values the backward reads: kept alive by the plan (today every value is kept). */
  keeps: ('inputs' | 'outputs')[];
  backward(c: GradCall): Dispatch[];
}

const reshaped = (t: GpuTensor, shape: number[]): GpuTensor => ({ buffer: t.buffer, shape });

function need(cond: unknown, node: Node, why: string): asserts cond {
  if (!cond) throw new ModelError(`node '${node.name}' (${node.opType}) cannot be trained: ${why}`);
}

/** ∂L/∂operand of a broadcasting elementwise op: dy summed over the broadcast dims (a pass-through when shapes match). */
function toOperand(c: GradCall, i: number, g: GpuTensor, label: string): Dispatch[] {
  const shape = c.x(i).shape;
  if (sameShape(shape, g.shape)) {
    c.passDx(i, g);
    return [];
  }
  return reduceToShape(c.ctx, g, c.dx(i), label);
}

/** Gemm: Y = α·op(A)·op(B) + β·C. Each gradient is one more matmul with the transposes swapped. */
const gemm: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    const tA = attrInt(c.node, 'transA', 0) === 1, tB = attrInt(c.node, 'transB', 0) === 1;
    const alpha = attrFloat(c.node, 'alpha', 1), beta = attrFloat(c.node, 'beta', 1);
    const A = c.x(0), B = c.x(1), dY = c.dy(0), n = c.node.name;
    const mm = (a: GpuTensor, b: GpuTensor, y: GpuTensor, transA: boolean, transB: boolean, label: string) =>
      matmul(c.ctx, a, b, null, y, { transA, transB, alpha, beta: 0, act: { kind: 'none' } }, label);
    const out: Dispatch[] = [];
    // op(A) is (M, K), op(B) is (K, N), dY is (M, N).
    if (c.wants(0)) {
      out.push(...(tA ? mm(B, dY, c.dx(0), tB, true, `${n}:dA`) /* (K,M) = op(B)·dYᵀ */ : mm(dY, B, c.dx(0), false, !tB, `${n}:dA`)));
    }
    if (c.wants(1)) {
      out.push(...(tB ? mm(dY, A, c.dx(1), true, tA, `${n}:dB`) /* (N,K) = dYᵀ·op(A) */ : mm(A, dY, c.dx(1), !tA, false, `${n}:dB`)));
    }
    if (c.hasInput(2) && c.wants(2)) {
      need(beta === 1, c.node, `beta = ${beta}; only beta = 1 has a gradient rule for C`);
      const C = c.x(2);
      const [M, N] = dY.shape as [number, number];
      if (sizeOf(C.shape) === N && C.shape.at(-1) === N) out.push(...channelSum(c.ctx, dY, c.dx(2), { N: M, C: N, S: 1 }, `${n}:dC`));
      else out.push(...toOperand(c, 2, dY, `${n}:dC`));
    }
    return out;
  },
};

/** MatMul with a 2-D right operand (the Linear layers exporters write); A may carry batch dims. */
const matMul: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    const A = c.x(0), B = c.x(1), dY = c.dy(0), n = c.node.name;
    need(B.shape.length === 2 && A.shape.length >= 2, c.node, `gradients need A of rank >= 2 and a 2-D B, got [${A.shape}] and [${B.shape}]`);
    const [K, N] = B.shape as [number, number];
    const rows = sizeOf(A.shape) / K;
    const A2 = reshaped(A, [rows, K]), dY2 = reshaped(dY, [rows, N]);
    const none = { kind: 'none' as const };
    const out: Dispatch[] = [];
    if (c.wants(0)) out.push(...matmul(c.ctx, dY2, B, null, reshaped(c.dx(0), [rows, K]), { transA: false, transB: true, alpha: 1, beta: 0, act: none }, `${n}:dA`));
    if (c.wants(1)) out.push(...matmul(c.ctx, A2, dY2, null, c.dx(1), { transA: true, transB: false, alpha: 1, beta: 0, act: none }, `${n}:dB`));
    return out;
  },
};

const convGeometry = (c: GradCall) => {
  const w = c.x(1);
  const g = convPads(c.node, c.x(0).shape, w.shape.slice(2));
  need(w.shape.length === 4, c.node, `only 2-D convolutions train, got weights [${w.shape}]`);
  return {
    strides: [g.strides[0]!, g.strides[1]!] as [number, number],
    pads: [g.pads[0]!, g.pads[1]!, g.pads[2]!, g.pads[3]!] as [number, number, number, number],
    dilations: [g.dilations[0]!, g.dilations[1]!] as [number, number],
    group: attrInt(c.node, 'group', 1),
  };
};

const conv: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    const geo = convGeometry(c), dY = c.dy(0), n = c.node.name;
    const out: Dispatch[] = [];
    if (c.wants(0)) out.push(...conv2dGradInput(c.ctx, dY, c.x(1), c.dx(0), geo, `${n}:dX`));
    if (c.wants(1)) out.push(...conv2dGradWeight(c.ctx, c.x(0), dY, c.dx(1), geo, `${n}:dW`));
    if (c.hasInput(2) && c.wants(2)) {
      const [N, M, OH, OW] = dY.shape as [number, number, number, number];
      out.push(...channelSum(c.ctx, dY, c.dx(2), { N, C: M, S: OH * OW }, `${n}:dB`));
    }
    return out;
  },
};

/** Elementwise activations: dx = dy·f'(x), x being the activation's input. */
const activation: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    const consts: Record<string, TensorData> = {};
    c.node.inputs.forEach((name, i) => { const t = i > 0 && name ? c.constant(i) : undefined; if (t) consts[name] = t; });
    const act = activationOf(c.node, consts, c.opset);
    need(act, c.node, 'Clip bounds must be constants');
    return c.wants(0) ? activationGrad(c.ctx, c.x(0), c.dy(0), c.dx(0), act, `${c.node.name}:dX`) : [];
  },
};

function pool(kind: 'max' | 'avg'): GradRule {
  return {
    keeps: ['inputs'],
    backward(c) {
      if (!c.wants(0)) return [];
      const k = attrInts(c.node, 'kernel_shape', []);
      need(k.length === 2, c.node, `only 2-D pooling trains, got kernel_shape [${k}]`);
      const g = convPads(c.node, c.x(0).shape, k);
      return pool2dGrad(c.ctx, c.x(0), c.dy(0), c.dx(0), {
        kind, kernel: [k[0]!, k[1]!], strides: [g.strides[0]!, g.strides[1]!],
        pads: [g.pads[0]!, g.pads[1]!, g.pads[2]!, g.pads[3]!], dilations: [g.dilations[0]!, g.dilations[1]!],
        countIncludePad: attrInt(c.node, 'count_include_pad', 0) === 1,
      }, `${c.node.name}:dX`);
    },
  };
}

/** Views (Flatten, Reshape, ...): the gradient is dy read with the input's shape. */
const view: GradRule = {
  keeps: [],
  backward(c) {
    if (c.wants(0)) c.passDx(0, reshaped(c.dy(0), c.x(0).shape));
    return [];
  },
};

const add: GradRule = {
  keeps: [],
  backward(c) {
    const out: Dispatch[] = [];
    for (const i of [0, 1]) if (c.wants(i)) out.push(...toOperand(c, i, c.dy(0), `${c.node.name}:d${i}`));
    return out;
  },
};

/** Mul: ∂/∂a = dy·b and ∂/∂b = dy·a, each summed back to its operand's shape. */
const mul: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    const out: Dispatch[] = [];
    const dY = c.dy(0);
    for (const i of [0, 1]) {
      if (!c.wants(i)) continue;
      const prod = c.scratch(`${c.node.name}:dy*x${1 - i}`, dY.shape);
      out.push(...binary(c.ctx, 'mul', dY, c.x(1 - i), prod, `${c.node.name}:d${i}`));
      out.push(...toOperand(c, i, prod, `${c.node.name}:d${i}:sum`));
    }
    return out;
  },
};

const transposeRule: GradRule = {
  keeps: [],
  backward(c) {
    if (!c.wants(0)) return [];
    const rank = c.x(0).shape.length;
    const perm = attrInts(c.node, 'perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => { inverse[p] = i; });
    return transpose(c.ctx, c.dy(0), c.dx(0), inverse, `${c.node.name}:dX`);
  },
};

/** Concat: each input's gradient is its slab of dy (one split; inputs that need none get scratch). */
const concatRule: GradRule = {
  keeps: [],
  backward(c) {
    const n = c.node.inputs.length;
    const wanted = Array.from({ length: n }, (_, i) => c.wants(i));
    if (!wanted.some(Boolean)) return [];
    const axis = normAxis(attrInt(c.node, 'axis', 0), c.dy(0).shape.length);
    const outs = wanted.map((w, i) => (w ? c.dx(i) : c.scratch(`${c.node.name}:unused${i}`, c.x(i).shape)));
    return split(c.ctx, c.dy(0), outs, axis, `${c.node.name}:dX`);
  },
};

const globalAvgPool: GradRule = {
  keeps: [],
  backward: (c) => (c.wants(0) ? globalAvgPoolGrad(c.ctx, c.dy(0), c.dx(0), `${c.node.name}:dX`) : []),
};

/** BatchNormalization in training mode: the forward saved the batch mean and 1/σ per channel. */
const batchNorm: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    const n = c.node.name;
    // The kernel writes all three; gradients nobody wants land in scratch.
    const C = c.x(1).shape[0]!;
    const dx = c.wants(0) ? c.dx(0) : c.scratch(`${n}:dX-unused`, c.x(0).shape);
    const dg = c.wants(1) ? c.dx(1) : c.scratch(`${n}:dGamma-unused`, [C]);
    const db = c.wants(2) ? c.dx(2) : c.scratch(`${n}:dBeta-unused`, [C]);
    return batchNormTrainBackward(c.ctx, c.x(0), c.dy(0), c.x(1), c.saved('meanInvStd'), dx, dg, db, `${n}:d`);
  },
};

/**
 * Quantisation-aware training's sign (train/qat.ts): straight through inside |x| <= clip; a scaled
 * weight sign adds alpha's exact derivative (the forward saved alpha).
 */
const signSteRule: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    if (!c.wants(0)) return [];
    const n = c.node.name, x = c.x(0), dy = c.dy(0);
    const attrs = { clip: attrFloat(c.node, 'clip', 1), axis: attrInt(c.node, 'axis', 0) };
    if (attrInt(c.node, 'scaled', 0) !== 1) return signSteGrad(c.ctx, x, dy, null, c.dx(0), attrs, `${n}:dX`);
    const g = c.scratch(`${n}:signDotMean`, [x.shape[attrs.axis] ?? 1]);
    return [
      ...steChannelStat(c.ctx, 'signDotMean', x, dy, g, attrs.axis, `${n}:dAlpha`),
      ...signSteGrad(c.ctx, x, dy, { alpha: c.saved('alpha'), g }, c.dx(0), attrs, `${n}:dX`),
    ];
  },
};

/** A per-tensor activation grid from a StudioFakeQuantSTE node's attributes (int8). */
export function activationGrid(node: Node): FakeQuantGrid {
  return { scale: attrFloat(node, 'scale', 0), zero: attrInt(node, 'zero_point', 0), qmin: -128, qmax: 127, perChannel: null };
}

/**
 * Fake quantisation (train/qat.ts): the gradient passes where the forward did not clamp. Weights
 * (scale max |W| / 127 per channel) and int32 biases are never clamped, so theirs is dy itself;
 * the grid's scales count as constants, as in the usual straight-through estimator.
 */
const fakeQuantSteRule: GradRule = {
  keeps: ['inputs'],
  backward(c) {
    if (!c.wants(0)) return [];
    if (attrString(c.node, 'kind', '') !== 'activation') {
      c.passDx(0, c.dy(0));
      return [];
    }
    return fakeQuantSteGrad(c.ctx, c.x(0), c.dy(0), c.dx(0), activationGrid(c.node), `${c.node.name}:dX`);
  },
};

export const GRAD_RULES: Record<string, GradRule> = {
  Gemm: gemm,
  MatMul: matMul,
  Conv: conv,
  Relu: activation,
  LeakyRelu: activation,
  Sigmoid: activation,
  Tanh: activation,
  Clip: activation,
  HardSigmoid: activation,
  HardSwish: activation,
  MaxPool: pool('max'),
  AveragePool: pool('avg'),
  GlobalAveragePool: globalAvgPool,
  BatchNormalization: batchNorm,
  ...Object.fromEntries(VIEW_OPS.map((op) => [op, view])),
  Add: add,
  Mul: mul,
  Transpose: transposeRule,
  Concat: concatRule,
  StudioSignSTE: signSteRule,
  StudioFakeQuantSTE: fakeQuantSteRule,
};

/** Ops that can appear on the path from a parameter to the loss. */
export const DIFFERENTIABLE_OPS: ReadonlySet<string> = new Set(Object.keys(GRAD_RULES));
