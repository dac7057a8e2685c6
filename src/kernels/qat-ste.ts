/**
 * Quantisation-aware training's straight-through (STE) kernels: the forward computes exactly what
 * the deployed integer or XNOR kernels compute (sign with sign(0) = +1 and XNOR-Net's per-channel
 * alpha; int8/int32 fake quantisation on the quantizer's grids), the backward passes the gradient
 * straight through where the forward did not clip. CPU references are in qat-ste.ref.ts.
 *
 * A "channel" is one index along `axis` of a tensor viewed as (outer, C, inner): the output channel
 * of a Conv weight (axis 0) or of a Gemm weight ((N, K) axis 0, (K, N) axis 1), a bias's element.
 */
import scaleCode from '../shaders/sign_ste_scale.wgsl?raw';
import signCode from '../shaders/sign_ste.wgsl?raw';
import signGradCode from '../shaders/sign_ste_grad.wgsl?raw';
import fqCode from '../shaders/fake_quant_ste.wgsl?raw';
import fqGradCode from '../shaders/fake_quant_ste_grad.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';

const ELEM_WG = 256;
/** Threads per channel in sign_ste_scale.wgsl; at most its shared array (256). The reference needs it. */
export const STE_REDUCE_WG = 256;

export interface ChannelLayout { outer: number; C: number; inner: number }

/** (outer, C, inner) of `shape` around `axis`; a scalar or rank-0 tensor is one channel. */
export function channelLayout(shape: readonly number[], axis: number): ChannelLayout {
  if (shape.length === 0) return { outer: 1, C: 1, inner: 1 };
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new Error(`channel axis ${axis} is outside a rank-${shape.length} tensor`);
  return { outer: sizeOf(shape.slice(0, axis)), C: shape[axis]!, inner: sizeOf(shape.slice(axis + 1)) };
}

export type ChannelStat = 'absMean' | 'signDotMean' | 'int8Scale';
const REDUCE: Record<ChannelStat, number> = { absMean: 0, signDotMean: 1, int8Scale: 2 };

/**
 * Per-channel statistic of x along `axis` into out (C):
 *  - absMean: mean |x| (XNOR-Net's alpha);
 *  - signDotMean: mean dy * sign(x) (needs dy, x's shape), alpha's part of the sign STE's gradient;
 *  - int8Scale: max |x| / 127, or 1 for an all-zero channel (the quantizer's symmetric weight scale).
 */
export function steChannelStat(
  ctx: GpuContext, stat: ChannelStat, x: GpuTensor, dy: GpuTensor | null, out: GpuTensor, axis: number, label = 'steChannelStat',
): Dispatch[] {
  const { outer, C, inner } = channelLayout(x.shape, axis);
  if (sizeOf(out.shape) !== C) throw new Error(`${label}: out ${fmt(out.shape)} should hold the ${C} channels of x ${fmt(x.shape)}`);
  if (stat === 'signDotMean' && (!dy || sizeOf(dy.shape) !== sizeOf(x.shape))) throw new Error(`${label}: signDotMean needs dy with x's ${sizeOf(x.shape)} values`);
  if (C === 0) return [];
  if (outer * inner === 0) throw new Error(`${label}: x ${fmt(x.shape)} has empty channels`);
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(outer).u32(C).u32(inner).u32(0).finish());
  const pipeline = ctx.pipeline('steChannelStat', scaleCode, { REDUCE: REDUCE[stat], WG: STE_REDUCE_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, (stat === 'signDotMean' ? dy! : x).buffer, out.buffer]),
    workgroups: gridFor(C * STE_REDUCE_WG, STE_REDUCE_WG),
  }];
}

/** y = alpha[c] * sign(x) along `axis` (alpha (C) from steChannelStat 'absMean'), or sign(x) without alpha; sign(0) = +1. */
export function signSte(ctx: GpuContext, x: GpuTensor, alpha: GpuTensor | null, y: GpuTensor, axis: number, label = 'signSte'): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(y.shape) !== count) throw new Error(`${label}: y ${fmt(y.shape)} must hold x's ${count} values`);
  const { C, inner } = alpha ? checkedChannels(label, 'alpha', x, alpha, axis) : { C: 1, inner: 1 };
  if (count === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(count).u32(C).u32(inner).u32(0).finish());
  const pipeline = ctx.pipeline('signSte', signCode, { SCALED: alpha ? 1 : 0, WG: ELEM_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, (alpha ?? x).buffer, y.buffer]),
    workgroups: gridFor(count, ELEM_WG),
  }];
}

/**
 * Backward of signSte. Without alpha: dx = dy * [|x| <= clip]. With alpha (and g (C) = steChannelStat
 * 'signDotMean' of x and dy): dx = alpha[c] * dy * [|x| <= clip] + sign(x) * g[c], the second term
 * being alpha's exact derivative.
 */
export function signSteGrad(
  ctx: GpuContext, x: GpuTensor, dy: GpuTensor, scaled: { alpha: GpuTensor; g: GpuTensor } | null, dx: GpuTensor,
  attrs: { clip: number; axis: number }, label = 'signSteGrad',
): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(dy.shape) !== count || sizeOf(dx.shape) !== count) throw new Error(`${label}: x ${fmt(x.shape)}, dy ${fmt(dy.shape)} and dx ${fmt(dx.shape)} must hold the same count`);
  if (!(attrs.clip >= 0)) throw new Error(`${label}: clip must be >= 0, got ${attrs.clip}`);
  let C = 1, inner = 1;
  if (scaled) {
    ({ C, inner } = checkedChannels(label, 'alpha', x, scaled.alpha, attrs.axis));
    checkedChannels(label, 'g', x, scaled.g, attrs.axis);
  }
  if (count === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(count).u32(C).u32(inner).f32(attrs.clip).finish());
  const pipeline = ctx.pipeline('signSteGrad', signGradCode, { SCALED: scaled ? 1 : 0, WG: ELEM_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, dy.buffer, (scaled?.alpha ?? x).buffer, (scaled?.g ?? x).buffer, dx.buffer]),
    workgroups: gridFor(count, ELEM_WG),
  }];
}

/**
 * A fake-quantisation grid: real = s * (q - zero), q in [qmin, qmax]. Per tensor: s = scale.
 * Per channel: s = scale * scales[c] along `axis` (scales a GPU tensor, e.g. steChannelStat
 * 'int8Scale' of the weight; a bias grid is x_scale * w_scale[c]).
 */
export interface FakeQuantGrid {
  scale: number;
  zero: number;
  qmin: number;
  qmax: number;
  perChannel: { scales: GpuTensor; axis: number } | null;
}

function fqParams(ctx: GpuContext, label: string, x: GpuTensor, grid: FakeQuantGrid): { params: GPUBuffer; scales: GpuTensor } {
  if (!(grid.scale > 0) || !Number.isFinite(grid.scale)) throw new Error(`${label}: scale must be a positive number, got ${grid.scale}`);
  if (!(grid.qmin <= grid.zero && grid.zero <= grid.qmax)) throw new Error(`${label}: zero point ${grid.zero} is outside [${grid.qmin}, ${grid.qmax}]`);
  const { C, inner } = grid.perChannel ? checkedChannels(label, 'scales', x, grid.perChannel.scales, grid.perChannel.axis) : { C: 1, inner: 1 };
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(sizeOf(x.shape)).u32(C).u32(inner).f32(grid.zero)
    .f32(grid.qmin).f32(grid.qmax).f32(grid.scale).f32(Math.fround(1 / grid.scale))
    .finish());
  return { params, scales: grid.perChannel?.scales ?? x };
}

/** y = (clamp(round(x / s) + zero, qmin, qmax) - zero) * s, elementwise (round half to even). */
export function fakeQuantSte(ctx: GpuContext, x: GpuTensor, y: GpuTensor, grid: FakeQuantGrid, label = 'fakeQuantSte'): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(y.shape) !== count) throw new Error(`${label}: y ${fmt(y.shape)} must hold x's ${count} values`);
  const { params, scales } = fqParams(ctx, label, x, grid);
  if (count === 0) return [];
  const pipeline = ctx.pipeline('fakeQuantSte', fqCode, { PER_CHANNEL: grid.perChannel ? 1 : 0, WG: ELEM_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, scales.buffer, y.buffer]),
    workgroups: gridFor(count, ELEM_WG),
  }];
}

/** Backward of fakeQuantSte: dx = dy where round(x / s) + zero lies in [qmin, qmax], else 0. */
export function fakeQuantSteGrad(ctx: GpuContext, x: GpuTensor, dy: GpuTensor, dx: GpuTensor, grid: FakeQuantGrid, label = 'fakeQuantSteGrad'): Dispatch[] {
  const count = sizeOf(x.shape);
  if (sizeOf(dy.shape) !== count || sizeOf(dx.shape) !== count) throw new Error(`${label}: x ${fmt(x.shape)}, dy ${fmt(dy.shape)} and dx ${fmt(dx.shape)} must hold the same count`);
  const { params, scales } = fqParams(ctx, label, x, grid);
  if (count === 0) return [];
  const pipeline = ctx.pipeline('fakeQuantSteGrad', fqGradCode, { PER_CHANNEL: grid.perChannel ? 1 : 0, WG: ELEM_WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, dy.buffer, scales.buffer, dx.buffer]),
    workgroups: gridFor(count, ELEM_WG),
  }];
}

function checkedChannels(label: string, what: string, x: GpuTensor, t: GpuTensor, axis: number): ChannelLayout {
  const layout = channelLayout(x.shape, axis);
  if (sizeOf(t.shape) !== layout.C) throw new Error(`${label}: ${what} ${fmt(t.shape)} should hold the ${layout.C} channels of x ${fmt(x.shape)} along axis ${axis}`);
  return layout;
}

function fmt(shape: readonly number[]): string { return `(${shape.join(', ')})`; }
