import gradInputCode from '../shaders/conv2d_grad_input.wgsl?raw';
import gradWeightCode from '../shaders/conv2d_grad_weight.wgsl?raw';
import channelSumCode from '../shaders/channel_sum.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import type { GpuTensor } from './common';
import type { ConvAttrs } from './conv';

const WG = 64;
/** Up to this many terms per sum, channelSum gives each channel one thread instead of a workgroup. */
export const CHANNEL_SUM_PER_THREAD_MAX = 64;
/** Channels one invocation of the dx and dw kernels computes (the shaders' vec4 accumulators). */
const CHANNELS_PER_INVOCATION = 4;

/** Conv's geometry without the fused activation (its derivative is applied to dy beforehand). */
export type ConvGradAttrs = Omit<ConvAttrs, 'act'>;

interface Geometry {
  N: number; C: number; H: number; W: number;
  M: number; cPerGroup: number; KH: number; KW: number;
  OH: number; OW: number; mPerGroup: number;
}

/** Checks x (N,C,H,W), w (M,C/group,KH,KW) and dy (N,M,OH,OW) against each other and the attrs. */
function geometry(
  label: string, xShape: number[], wShape: number[], dyShape: number[], attrs: ConvGradAttrs,
): Geometry {
  if (xShape.length !== 4 || wShape.length !== 4 || dyShape.length !== 4) {
    throw new Error(`${label}: x, w and dy must be 4-D, got ${fmt(xShape)}, ${fmt(wShape)}, ${fmt(dyShape)}`);
  }
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, cPerGroup, KH, KW] = wShape as [number, number, number, number];
  const [dyN, dyM, OH, OW] = dyShape as [number, number, number, number];
  const group = attrs.group;
  if (!(group >= 1) || C !== cPerGroup * group || M % group !== 0) {
    throw new Error(`${label}: x ${fmt(xShape)} and w ${fmt(wShape)} do not fit group ${group}`);
  }
  if (dyN !== N || dyM !== M) throw new Error(`${label}: dy ${fmt(dyShape)} does not match N=${N}, M=${M}`);
  // A wrong OH/OW would not fail, just give a wrong gradient, so it is checked against Conv's rule.
  const [padT, padL, padB, padR] = attrs.pads;
  const want = [
    Math.floor((H + padT + padB - attrs.dilations[0] * (KH - 1) - 1) / attrs.strides[0]) + 1,
    Math.floor((W + padL + padR - attrs.dilations[1] * (KW - 1) - 1) / attrs.strides[1]) + 1,
  ];
  if (OH !== want[0] || OW !== want[1]) {
    throw new Error(`${label}: dy ${fmt(dyShape)} should be ${want[0]}x${want[1]} for x ${fmt(xShape)} and w ${fmt(wShape)}`);
  }
  return { N, C, H, W, M, cPerGroup, KH, KW, OH, OW, mPerGroup: M / group };
}

/**
 * dx (N, C, H, W) = dL/dx of Conv given dy (N, M, OH, OW) and w (M, C/group, KH, KW); one thread
 * per dx pixel and block of up to 4 input channels gathers over its group's output channels and
 * the taps that read it. Overwrites dx. Bindings: params, dy, w, dx.
 */
export function conv2dGradInput(
  ctx: GpuContext, dy: GpuTensor, w: GpuTensor, dx: GpuTensor, attrs: ConvGradAttrs, label = 'conv2dGradInput',
): Dispatch[] {
  const g = geometry(label, dx.shape, w.shape, dy.shape, attrs);
  const cPer = Math.min(CHANNELS_PER_INVOCATION, g.cPerGroup); // depthwise: 1, so no idle lanes
  const blocksPerGroup = Math.ceil(g.cPerGroup / cPer);
  const blocks = attrs.group * blocksPerGroup;
  const total = g.N * blocks * Math.ceil((g.H * g.W) / 4); // 4 pixels per invocation
  if (total === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(g.C).u32(g.H).u32(g.W).u32(g.M)
    .u32(g.OH).u32(g.OW).u32(g.KH).u32(g.KW)
    .u32(attrs.strides[0]).u32(attrs.strides[1]).i32(attrs.pads[0]).i32(attrs.pads[1])
    .u32(attrs.dilations[0]).u32(attrs.dilations[1]).u32(g.cPerGroup).u32(g.mPerGroup)
    .u32(cPer).u32(blocksPerGroup).u32(blocks).u32(total)
    .finish());
  const pipeline = ctx.pipeline('conv2dGradInput', gradInputCode, { WIDE: cPer > 1 ? 1 : 0, WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, dy.buffer, w.buffer, dx.buffer]),
    workgroups: gridFor(total, WG),
  }];
}

/**
 * dw (M, C/group, KH, KW) = dL/dw of Conv = sum over n, oh, ow of dy * x; overwrites dw. One
 * thread per tap, block of up to 4 input channels and block of up to 4 output channels sums serially, with
 * partial sums per row and per image to keep f32 rounding small for long sums.
 * Bindings: params, x, dy, dw.
 */
export function conv2dGradWeight(
  ctx: GpuContext, x: GpuTensor, dy: GpuTensor, dw: GpuTensor, attrs: ConvGradAttrs, label = 'conv2dGradWeight',
): Dispatch[] {
  const g = geometry(label, x.shape, dw.shape, dy.shape, attrs);
  const mPer = Math.min(CHANNELS_PER_INVOCATION, g.mPerGroup);
  const blocksPerGroup = Math.ceil(g.mPerGroup / mPer);
  // 4 input channels an invocation where a group has several (a 4x4 register block), else 1.
  const cPer = g.cPerGroup > 1 ? 4 : 1;
  const cBlocks = Math.ceil(g.cPerGroup / cPer);
  const total = attrs.group * blocksPerGroup * cBlocks * g.KH * g.KW;
  if (total === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(g.N).u32(g.C).u32(g.H).u32(g.W)
    .u32(g.M).u32(g.OH).u32(g.OW).u32(g.KH)
    .u32(g.KW).u32(attrs.strides[0]).u32(attrs.strides[1]).i32(attrs.pads[0])
    .i32(attrs.pads[1]).u32(attrs.dilations[0]).u32(attrs.dilations[1]).u32(g.cPerGroup)
    .u32(g.mPerGroup).u32(mPer).u32(blocksPerGroup).u32(total)
    .u32(cBlocks).u32(0).u32(0).u32(0)
    .finish());
  const pipeline = ctx.pipeline('conv2dGradWeight', gradWeightCode, { WIDE: mPer > 1 ? 1 : 0, CB: cPer, WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, x.buffer, dy.buffer, dw.buffer]),
    workgroups: gridFor(total, WG),
  }];
}

/** How channelSum reads dy: N blocks of C channels of S contiguous values each. */
export interface ChannelSumLayout { N: number; C: number; S: number }

/**
 * db[c] = sum over n < N, s < S of dy[(n*C + c)*S + s]: Conv's bias gradient (dy (N, M, OH, OW):
 * C = M, S = OH*OW) and Gemm's (dy (rows, cols): N = rows, C = cols, S = 1). Overwrites db (C).
 * Bindings: params, dy, db.
 */
export function channelSum(
  ctx: GpuContext, dy: GpuTensor, db: GpuTensor, layout: ChannelSumLayout, label = 'channelSum',
): Dispatch[] {
  const { N, C, S } = layout;
  if (sizeOf(dy.shape) !== N * C * S) {
    throw new Error(`${label}: dy ${fmt(dy.shape)} does not hold N*C*S = ${N}*${C}*${S} values`);
  }
  if (sizeOf(db.shape) !== C) throw new Error(`${label}: db ${fmt(db.shape)} should hold C = ${C} values`);
  if (C === 0) return [];
  const params = ctx.uniform(`${label}:params`, new UniformWriter().u32(N).u32(C).u32(S).finish());
  const perThread = N * S <= CHANNEL_SUM_PER_THREAD_MAX;
  // WG must not exceed channel_sum.wgsl's shared array (256).
  const pipeline = ctx.pipeline('channelSum', channelSumCode, { PER_THREAD: perThread ? 1 : 0, WG });
  return [{
    label,
    pipeline,
    bindGroup: ctx.bindGroup(label, pipeline, [params, dy.buffer, db.buffer]),
    workgroups: perThread ? gridFor(C, WG) : gridFor(C * WG, WG),
  }];
}

function fmt(shape: readonly number[]): string { return `(${shape.join(', ')})`; }
