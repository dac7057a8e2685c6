import code from '../shaders/int8_conv2d.wgsl?raw';
import gemmCode from '../shaders/int8_conv_gemm.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';
import { int8Pipeline, int8QuantBindings, type Int8Options, type Int8Quant, type Int8Weights } from './int8';

const WG = 64; // as in int8_conv2d.wgsl
/** Output channels one invocation computes (the shader's vec4<i32> accumulator). */
const CHANNELS_PER_INVOCATION = 4;
const MAX_GROUPS = 65535;
/**
 * Groups with at least this many output channels run as an implicit GEMM (int8_conv_gemm.wgsl);
 * fewer (depthwise, multiplier 2) keep the direct kernel, where a GEMM column tile would sit idle.
 */
export const INT8_CONV_GEMM_MIN_CHANNELS = 4;
/** Up to this many output channels per group use the 256x16 GEMM tile, more the 64x64 one. */
const NARROW_TILE_CHANNELS = 16;

/**
 * The implicit GEMM's tap table: for each K position (c, kh, kw) of one group, padded to K4*4,
 * (x offset from the window's top-left, dh, dw, 1), and zeros past K.
 */
export function int8ConvTaps(cPerGroup: number, KH: number, KW: number, H: number, W: number, dilations: [number, number], K4: number): Int32Array {
  const t = new Int32Array(K4 * 16);
  let k = 0;
  for (let c = 0; c < cPerGroup; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++, k++) {
    const dh = kh * dilations[0], dw = kw * dilations[1];
    t.set([c * H * W + dh * W + dw, dh, dw, 1], 4 * k);
  }
  return t;
}

export interface Int8ConvAttrs {
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilations: [number, number];
  group: number;
}

import { convOutSize } from '../core/shape';
export { convOutSize };

/**
 * y = dequant(requant(conv(quant(x), wq) + bias)) with int8 arithmetic (shaders/int8_conv2d.wgsl),
 * or for 'float' weights y = conv(quant(x), wq) * xScale * wScale + biasF.
 * x: (N, C, H, W) f32; w: uploaded with shape (M, C/group, kH, kW); y: (N, M, OH, OW) f32.
 * x's quantisation is static or dynamic as in int8Matmul. One dispatch: groups of at least
 * INT8_CONV_GEMM_MIN_CHANNELS output channels run as an implicit GEMM (int8_conv_gemm.wgsl, a 256x16
 * or 64x64 tile by channel count), others the direct int8_conv2d.wgsl; bit-identical results.
 * Pipelines depend on that choice and the dot4 variant only.
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
  if (N * M * OH * OW === 0) return [];
  if (mPerGroup >= INT8_CONV_GEMM_MIN_CHANNELS) {
    const narrow = mPerGroup <= NARROW_TILE_CHANNELS;
    const [BM, BN] = narrow ? [256, 16] : [64, 64];
    const rows = N * OH * OW;
    const grid: [number, number, number] = [Math.ceil(mPerGroup / BN), Math.ceil(rows / BM), group];
    if (grid.every((d) => d <= MAX_GROUPS) && N * C * H * W < 2 ** 31 && N * M * OH * OW < 2 ** 31) {
      const u = new UniformWriter()
        .u32(C).u32(H).u32(W).u32(M)
        .u32(OH * OW).u32(OW).u32(sH).u32(sW)
        .i32(padT).i32(padL).u32(rows).u32(mPerGroup)
        .u32(cPerGroup).u32(group).u32(0).u32(0);
      const { params, xq } = int8QuantBindings(ctx, u, w, q, label);
      // Uploaded per call like a static xq: it belongs to the returned dispatches.
      const taps = ctx.upload(`${label}:taps`, int8ConvTaps(cPerGroup, KH, KW, H, W, conv.dilations, w.K4));
      const pipeline = int8Pipeline(ctx, 'int8_conv_gemm', gemmCode, opts, { TX: narrow ? 4 : 16 });
      const buffers = [params, x.buffer, w.packed, w.channels, y.buffer, xq, taps];
      return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: grid }];
    }
  }
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
  const { params, xq } = int8QuantBindings(ctx, u, w, q, label);
  const pipeline = int8Pipeline(ctx, 'int8_conv2d', code, opts);
  const buffers = [params, x.buffer, w.packed, w.channels, y.buffer, xq];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: gridFor(total, WG) }];
}
