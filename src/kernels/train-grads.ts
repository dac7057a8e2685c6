/**
 * Backward kernels for training: activations, MaxPool / AveragePool / GlobalAveragePool,
 * BatchNormalization in training mode (forward with batch statistics, and backward), and the
 * reduction of a broadcast operand's gradient to its shape. Every kernel writes its outputs
 * (never accumulates into them); CPU references are in train-grads.ref.ts.
 */
import activationGradCode from '../shaders/activation_grad.wgsl?raw';
import poolGradCode from '../shaders/pool2d_grad.wgsl?raw';
import bnTrainCode from '../shaders/batchnorm_train.wgsl?raw';
import bnGradCode from '../shaders/batchnorm_grad.wgsl?raw';
import reduceToShapeCode from '../shaders/reduce_to_shape.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sameShape, sizeOf, stridesOf } from '../core/shape';
import { ACT, activationParams, withActivation, withStrided, type Activation, type GpuTensor } from './common';
import { poolParams, type PoolAttrs } from './pool';
import { checkRank, collapseDims, MAX_DIMS } from './strides';

const ELEM_WG = 256;
const POOL_WG = 64;
/** Threads per channel in the BatchNorm kernels; must not exceed their shared arrays (256). */
const BN_WG = 256;
const REDUCE_WG = 64;

/** dx = dy * act'(x), elementwise; x is the activation's input. x, dy and dx hold the same count. */
export function activationGrad(ctx: GpuContext, x: GpuTensor, dy: GpuTensor, dx: GpuTensor, act: Activation, label = 'activationGrad'): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(dy.shape) !== count || sizeOf(dx.shape) !== count) {
    throw new Error(`${label}: x ${fmt(x.shape)}, dy ${fmt(dy.shape)} and dx ${fmt(dx.shape)} must hold the same count`);
  }
  if (count === 0) return [];
  const [a, b] = activationParams(act);
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(count).f32(a).f32(b).u32(0).finish());
  const pipeline = ctx.pipeline('activationGrad', withActivation(activationGradCode), { ACT: ACT[act.kind], WG: ELEM_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, dy.buffer, dx.buffer]),
    workgroups: gridFor(count, ELEM_WG),
  }];
}

/**
 * Backward of `pool2d`: dx (N, C, H, W) from the forward's input x (N, C, H, W) and dy (N, C, OH, OW),
 * with the forward's attrs (OH, OW from dy, so ceil_mode needs nothing more). Max sends each dy to
 * the first maximum of its window in window order; average divides by the forward's count.
 */
export function pool2dGrad(ctx: GpuContext, x: GpuTensor, dy: GpuTensor, dx: GpuTensor, attrs: PoolAttrs, label = 'pool2dGrad'): Dispatch[] {
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(`${label}: x and dy must be 4-D, got ${fmt(x.shape)} and ${fmt(dy.shape)}`);
  }
  if (!sameShape(x.shape, dx.shape)) throw new Error(`${label}: dx ${fmt(dx.shape)} must have x's shape ${fmt(x.shape)}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [yN, yC, OH, OW] = dy.shape as [number, number, number, number];
  if (yN !== N || yC !== C) throw new Error(`${label}: dy ${fmt(dy.shape)} does not match x ${fmt(x.shape)}`);
  const [KH, KW] = attrs.kernel;
  if (!(KH >= 1 && KW >= 1)) throw new Error(`${label}: kernel ${attrs.kernel.join('x')} is empty`);
  if (N * C * H * W === 0) return [];
  // Max windows that tile the input exactly take the per-window path (KIND 3 in the shader).
  const tiles = attrs.kind === 'max' && attrs.strides[0] === KH && attrs.strides[1] === KW && attrs.pads.every((p) => p === 0) &&
    attrs.dilations[0] === 1 && attrs.dilations[1] === 1 && OH * KH === H && OW * KW === W;
  const total = tiles ? N * C * OH * OW : N * C * H * W;
  const params = poolParams(ctx, label, [H, W, OH, OW], attrs, total);
  const pipeline = ctx.pipeline('pool2dGrad', poolGradCode, { KIND: tiles ? 3 : attrs.kind === 'max' ? 0 : 1, WG: POOL_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, dy.buffer, dx.buffer]),
    workgroups: gridFor(total, POOL_WG),
  }];
}

/** Backward of `globalAvgPool`: dx (N, C, spatial...) = dy (N, C, 1, 1) / (spatial size), broadcast. */
export function globalAvgPoolGrad(ctx: GpuContext, dy: GpuTensor, dx: GpuTensor, label = 'globalAvgPoolGrad'): Dispatch[] {
  if (dx.shape.length < 3) throw new Error(`${label}: dx ${fmt(dx.shape)} needs (N, C, spatial...)`);
  const [N, C] = dx.shape as [number, number];
  const hw = dx.shape.slice(2).reduce((a, b) => a * b, 1);
  if (sizeOf(dy.shape) !== N * C) throw new Error(`${label}: dy ${fmt(dy.shape)} should hold N*C = ${N * C} values`);
  const total = N * C * hw;
  if (total === 0) return [];
  // pool2d_grad.wgsl's KIND 2 reads H * W and total only; the spatial dims travel as H = 1, W = hw.
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(1).u32(hw).u32(1).u32(1).u32(1).u32(1).u32(1).u32(1)
    .i32(0).i32(0).i32(0).i32(0).u32(1).u32(1).u32(0).u32(total)
    .finish());
  const pipeline = ctx.pipeline('pool2dGrad', poolGradCode, { KIND: 2, WG: POOL_WG });
  return [{
    label,
    pipeline,
    // The x binding is unused by KIND 2; dy stands in for it (both read-only).
    bindGroup: ctx.bindGroup(label, pipeline, [params, dy.buffer, dy.buffer, dx.buffer]),
    workgroups: gridFor(total, POOL_WG),
  }];
}

export interface BatchNormTrainAttrs {
  /** ONNX default 1e-5. */
  epsilon: number;
  /** ONNX convention: running = momentum * running + (1 - momentum) * batch; ONNX default 0.9. */
  momentum: number;
}

/** (N, C, S) view of a BatchNorm input (N, C, spatial...) or (N, C). */
function bnDims(label: string, x: GpuTensor): [number, number, number] {
  if (x.shape.length < 2) throw new Error(`${label}: x ${fmt(x.shape)} needs (N, C, ...)`);
  const [N, C] = x.shape as [number, number];
  return [N, C, sizeOf(x.shape.slice(2))];
}

function checkCount(label: string, what: string, t: GpuTensor, n: number): void {
  if (sizeOf(t.shape) !== n) throw new Error(`${label}: ${what} ${fmt(t.shape)} should hold ${n} values`);
}

/**
 * BatchNormalization in training mode: per-channel batch mean and biased variance of x
 * (N, C, spatial...) or (N, C); y = gamma * (x - mean) * invStd + beta; saved (2, C) = [mean; invStd]
 * with invStd = 1 / sqrt(var + epsilon); runningMean and runningVar (C) updated in place with the
 * UNBIASED batch variance (PyTorch's choice; see batchnorm_train.wgsl). One workgroup per channel.
 */
export function batchNormTrainForward(
  ctx: GpuContext, x: GpuTensor, gamma: GpuTensor, beta: GpuTensor, y: GpuTensor, saved: GpuTensor,
  runningMean: GpuTensor, runningVar: GpuTensor, attrs: BatchNormTrainAttrs, label = 'batchNormTrainForward',
): Dispatch[] {
  const [N, C, S] = bnDims(label, x);
  if (!sameShape(x.shape, y.shape)) throw new Error(`${label}: y ${fmt(y.shape)} must have x's shape ${fmt(x.shape)}`);
  for (const [what, t] of [['gamma', gamma], ['beta', beta], ['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    checkCount(label, what, t, C);
  }
  checkCount(label, 'saved', saved, 2 * C);
  if (N * S === 0) throw new Error(`${label}: x ${fmt(x.shape)} has no values to take statistics of`);
  if (C === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(N).u32(C).u32(S).f32(attrs.epsilon).f32(attrs.momentum).finish());
  const pipeline = ctx.pipeline('batchNormTrain', bnTrainCode, { WG: BN_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, gamma.buffer, beta.buffer, y.buffer, saved.buffer, runningMean.buffer, runningVar.buffer]),
    workgroups: gridFor(C * BN_WG, BN_WG),
  }];
}

/**
 * Backward of `batchNormTrainForward` from its saved (2, C) [mean; invStd]: dx (x's shape), and
 * dgamma = sum(dy * xhat), dbeta = sum(dy) per channel (C each), xhat = (x - mean) * invStd.
 */
export function batchNormTrainBackward(
  ctx: GpuContext, x: GpuTensor, dy: GpuTensor, gamma: GpuTensor, saved: GpuTensor,
  dx: GpuTensor, dgamma: GpuTensor, dbeta: GpuTensor, label = 'batchNormTrainBackward',
): Dispatch[] {
  const [N, C, S] = bnDims(label, x);
  if (!sameShape(x.shape, dy.shape) || !sameShape(x.shape, dx.shape)) {
    throw new Error(`${label}: dy ${fmt(dy.shape)} and dx ${fmt(dx.shape)} must have x's shape ${fmt(x.shape)}`);
  }
  for (const [what, t] of [['gamma', gamma], ['dgamma', dgamma], ['dbeta', dbeta]] as const) checkCount(label, what, t, C);
  checkCount(label, 'saved', saved, 2 * C);
  if (C === 0 || N * S === 0) throw new Error(`${label}: x ${fmt(x.shape)} is empty`);
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(N).u32(C).u32(S).u32(0).finish());
  const pipeline = ctx.pipeline('batchNormGrad', bnGradCode, { WG: BN_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, dy.buffer, gamma.buffer, saved.buffer, dx.buffer, dgamma.buffer, dbeta.buffer]),
    workgroups: gridFor(C * BN_WG, BN_WG),
  }];
}

/**
 * out = dy summed over the axes where out's shape, right-aligned against dy's (numpy broadcasting),
 * is 1 or missing: the gradient of a broadcasting Add/Mul... with respect to the operand of out's
 * shape. Every other out axis must equal dy's. Rank <= 8 after collapsing.
 */
export function reduceToShape(ctx: GpuContext, dy: GpuTensor, out: GpuTensor, label = 'reduceToShape'): Dispatch[] {
  const { kept, reduced } = reduceToShapePlan(label, dy.shape, out.shape);
  const count = sizeOf(out.shape);
  if (count === 0) return [];
  checkRank(label, kept.shape.length);
  checkRank(label, reduced.shape.length);
  const w = new UniformWriter().u32(count).u32(kept.shape.length).u32(reduced.shape.length).u32(sizeOf(reduced.shape))
    .u32s(kept.shape, MAX_DIMS).u32s(kept.strides[0]!, MAX_DIMS).u32s(reduced.shape, MAX_DIMS).u32s(reduced.strides[0]!, MAX_DIMS);
  const params = ctx.uniform(`${label}:params`, w.finish());
  const pipeline = ctx.pipeline('reduceToShape', withStrided(reduceToShapeCode), { WG: REDUCE_WG });
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, dy.buffer, out.buffer]), workgroups: gridFor(count, REDUCE_WG) }];
}

/** dy's axes split into out's (kept, in out's layout) and the broadcast ones (summed), each collapsed. */
function reduceToShapePlan(label: string, dyShape: readonly number[], outShape: readonly number[]) {
  const r = dyShape.length;
  if (outShape.length > r) throw new Error(`${label}: out ${fmt(outShape)} has more axes than dy ${fmt(dyShape)}`);
  const st = stridesOf(dyShape);
  const keptDims: number[] = [];
  const redDims: number[] = [];
  for (let d = 0; d < r; d++) {
    const o = outShape[d - (r - outShape.length)] ?? 1;
    if (o === dyShape[d]) keptDims.push(d);
    else if (o === 1) redDims.push(d);
    else throw new Error(`${label}: out ${fmt(outShape)} does not broadcast to dy ${fmt(dyShape)}`);
  }
  return {
    kept: collapseDims(keptDims.map((d) => dyShape[d]!), [keptDims.map((d) => st[d]!)]),
    reduced: collapseDims(redDims.map((d) => dyShape[d]!), [redDims.map((d) => st[d]!)]),
  };
}

function fmt(shape: readonly number[]): string { return `(${shape.join(', ')})`; }
