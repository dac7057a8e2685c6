import code from '../shaders/int8_conv2d.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';
import { int8Pipeline, writeQuantFields, type Int8Options, type Int8Quant, type Int8Weights } from './int8';

const WG = 64; // as in int8_conv2d.wgsl
/** Output channels one invocation computes (the shader's vec4<i32> accumulator). */
const CHANNELS_PER_INVOCATION = 4;

export interface Int8ConvAttrs {
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilations: [number, number];
  group: number;
}

import { convOutSize } from '../core/shape';
export { convOutSize };

/**
 * y = dequant(requant(conv(quant(x), wq) + bias)) with int8 arithmetic (shaders/int8_conv2d.wgsl).
 * x: (N, C, H, W) f32; w: uploaded with shape (M, C/group, kH, kW); y: (N, M, OH, OW) f32 holding
 * dequantised int8 values. One dispatch; the pipeline depends only on the dot4 variant.
 */
export function int8Conv2d(
  ctx: GpuContext, x: GpuTensor, w: Int8Weights, y: GpuTensor, conv: Int8ConvAttrs, q: Int8Quant, opts?: Int8Options,
): Dispatch[] {
  const label = opts?.label ?? 'int8_conv2d';
  if (x.shape.length !== 4 || w.shape.length !== 4 || y.shape.length !== 4) {
    throw new Error(`${label}: x, w and y must be 4-D, got (${x.shape}), (${w.shape}), (${y.shape})`);
  }
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [M, cPerGroup, KH, KW] = w.shape as [number, number, number, number];
  const group = conv.group;
  if (!(group >= 1) || C !== cPerGroup * group || M % group !== 0) {
    throw new Error(`${label}: x (${x.shape}) and w (${w.shape}) do not fit group ${group}`);
  }
  const [sH, sW] = conv.strides;
  const [padT, padL, padB, padR] = conv.pads;
  const [dH, dW] = conv.dilations;
  const OH = convOutSize(H, KH, sH, dH, padT, padB);
  const OW = convOutSize(W, KW, sW, dW, padL, padR);
  if (y.shape[0] !== N || y.shape[1] !== M || y.shape[2] !== OH || y.shape[3] !== OW) {
    throw new Error(`${label}: y is (${y.shape}) but the conv gives (${[N, M, OH, OW]})`);
  }
  const mPerGroup = M / group;
  const mPer = Math.min(CHANNELS_PER_INVOCATION, mPerGroup); // depthwise: 1, so no idle invocations
  const blocksPerGroup = Math.ceil(mPerGroup / mPer);
  const total = N * group * blocksPerGroup * OH * OW;
  if (total <= 0) return [];
  const u = new UniformWriter()
    .u32(C).u32(H).u32(W).u32(M)
    .u32(OH).u32(OW).u32(KH).u32(KW)
    .u32(sH).u32(sW).i32(padT).i32(padL)
    .u32(dH).u32(dW).u32(group).u32(cPerGroup)
    .u32(mPerGroup).u32(mPer).u32(blocksPerGroup).u32(total);
  const params = ctx.uniform(`${label}:params`, writeQuantFields(u, w, q, label).finish());
  const pipeline = int8Pipeline(ctx, 'int8_conv2d', code, opts);
  const buffers = [params, x.buffer, w.packed, w.channels, y.buffer];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: gridFor(total, WG) }];
}
