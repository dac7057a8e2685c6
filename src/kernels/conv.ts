import code from '../shaders/conv2d.wgsl?raw';
import dwCode from '../shaders/conv2d_dw.wgsl?raw';
import dwPositionCode from '../shaders/conv_dw_position.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { ACT, activationParams, withActivation, type Activation, type GpuTensor } from './common';

const WG = 64;
/** Output channels one invocation computes (the shader's vec4 accumulators). */
const CHANNELS_PER_INVOCATION = 4;
/** Consecutive output pixels one invocation computes. */
const PIXELS_PER_INVOCATION = 4;
/** Output pixels along a row one depthwise invocation computes (conv2d_dw.wgsl's PIX). */
const DW_PIXELS = 8;

/**
 * The params both depthwise kernels start with, as conv_dw_position.wgsl reads them (C ... OWB,
 * total), and `total`, their invocation count: one per DW_PIXELS pixels of an output row.
 */
export function depthwiseParamsHead(
  xShape: readonly number[], wShape: readonly number[], OH: number, OW: number,
  g: { strides: [number, number]; pads: readonly number[]; dilations: [number, number]; group: number },
): { head: UniformWriter; total: number } {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, , KH, KW] = wShape as [number, number, number, number];
  const OWB = Math.ceil(OW / DW_PIXELS);
  const total = N * M * OH * OWB;
  const head = new UniformWriter()
    .u32(C).u32(H).u32(W).u32(M)
    .u32(OH).u32(OW).u32(KH).u32(KW)
    .u32(g.strides[0]).u32(g.strides[1]).i32(g.pads[0]!).i32(g.pads[1]!)
    .u32(g.dilations[0]).u32(g.dilations[1]).u32(M / g.group).u32(OWB)
    .u32(total);
  return { head, total };
}

export interface ConvAttrs {
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilations: [number, number];
  group: number;
  act: Activation;
}

/** A 16-byte stand-in bound at the bias slot when there is no bias, one per device. */
const dummies = new WeakMap<GpuContext, GPUBuffer>();
function dummyBias(ctx: GpuContext): GPUBuffer {
  let b = dummies.get(ctx);
  if (!b) {
    b = ctx.device.createBuffer({ label: 'conv2d:no-bias', size: 16, usage: GPUBufferUsage.STORAGE });
    dummies.set(ctx, b);
  }
  return b;
}

/**
 * y = act(conv(x, w) + bias) for NCHW tensors, with groups, strides, pads and dilations; depthwise
 * layers (one input channel per group, group > 1) run conv2d_dw.wgsl, the rest conv2d.wgsl. The
 * caller gives y's shape (N, M, OH, OW); 1-D convolutions come here with H = 1.
 */
export function conv2d(
  ctx: GpuContext, x: GpuTensor, w: GpuTensor, bias: GpuTensor | null, y: GpuTensor, attrs: ConvAttrs,
  label = 'conv2d',
): Dispatch[] {
  if (x.shape.length !== 4 || w.shape.length !== 4 || y.shape.length !== 4) {
    throw new Error(`${label}: x, w and y must be 4-D, got ${fmt(x.shape)}, ${fmt(w.shape)}, ${fmt(y.shape)}`);
  }
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [M, cPerGroup, KH, KW] = w.shape as [number, number, number, number];
  const [yN, yM, OH, OW] = y.shape as [number, number, number, number];
  const group = attrs.group;
  if (!(group >= 1) || C !== cPerGroup * group || M % group !== 0) {
    throw new Error(`${label}: x ${fmt(x.shape)} and w ${fmt(w.shape)} do not fit group ${group}`);
  }
  if (yN !== N || yM !== M) throw new Error(`${label}: y ${fmt(y.shape)} does not match N=${N}, M=${M}`);
  if (bias && sizeOf(bias.shape) !== M) {
    throw new Error(`${label}: bias ${fmt(bias.shape)} should be (${M})`);
  }
  const mPerGroup = M / group;
  const [a, b] = activationParams(attrs.act);
  const [sH, sW] = attrs.strides;
  const [padT, padL] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const dispatch = (kernel: string, kernelCode: string, params: GPUBuffer, total: number): Dispatch[] => {
    const pipeline = ctx.pipeline(kernel, withActivation(kernelCode), { ACT: ACT[attrs.act.kind], HAS_BIAS: bias ? 1 : 0, WG });
    const bufs = [params, x.buffer, w.buffer, bias ? bias.buffer : dummyBias(ctx), y.buffer];
    return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, bufs), workgroups: gridFor(total, WG) }];
  };
  if (group > 1 && cPerGroup === 1) {
    // Depthwise: its own kernel, a row of pixels per invocation (conv2d_dw.wgsl says why).
    const { head, total } = depthwiseParamsHead(x.shape, w.shape, OH, OW, attrs);
    if (total === 0) return [];
    return dispatch('conv2d_dw', `${dwPositionCode}\n${dwCode}`, ctx.uniform(`${label}:params`, head.u32(0).f32(a).f32(b).finish()), total);
  }
  const mPer = Math.min(CHANNELS_PER_INVOCATION, mPerGroup);
  const blocksPerGroup = Math.ceil(mPerGroup / mPer);
  const total = N * group * blocksPerGroup * Math.ceil((OH * OW) / PIXELS_PER_INVOCATION);
  if (total === 0) return [];
  return dispatch('conv2d', code, ctx.uniform(`${label}:params`, new UniformWriter()
    .u32(C).u32(H).u32(W).u32(M)
    .u32(OH).u32(OW).u32(KH).u32(KW)
    .u32(sH).u32(sW).i32(padT).i32(padL)
    .u32(dH).u32(dW).u32(group).u32(cPerGroup)
    .u32(mPerGroup).u32(mPer).u32(blocksPerGroup).u32(total)
    .f32(a).f32(b)
    .finish()), total);
}

function fmt(shape: readonly number[]): string { return `(${shape.join(', ')})`; }
