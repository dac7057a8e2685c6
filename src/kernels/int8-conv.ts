import code from '../shaders/int8_conv2d.wgsl?raw';
import packCode from '../shaders/int8_conv_pack.wgsl?raw';
import gemmCode from '../shaders/int8_conv_packed.wgsl?raw';
import dwCode from '../shaders/int8_conv_dw.wgsl?raw';
import dwQuantizeCode from '../shaders/int8_dw_quantize.wgsl?raw';
import dwPositionCode from '../shaders/conv_dw_position.wgsl?raw';
import { gridFor, UniformWriter, type Dispatch, type GpuContext } from '../gpu/context';
import type { GpuTensor } from './common';
import { int8Module, int8Pipeline, int8QuantBindings, type Int8ConvPacking, type Int8Options, type Int8Quant, type Int8Weights } from './int8';

const WG = 64; // as in int8_conv2d.wgsl
/** Output channels one invocation computes (the shader's vec4<i32> accumulator). */
const CHANNELS_PER_INVOCATION = 4;
const MAX_GROUPS = 65535;
/** Words one invocation of int8_conv_pack.wgsl packs (its PER). */
const PACK_WORDS_PER_INVOCATION = 8;
/** Elements one invocation of int8_dw_quantize.wgsl quantises (its PER). */
const DW_QUANTIZE_PER_INVOCATION = 16;
/**
 * Groups with at least this many output channels run as a packed implicit GEMM (int8_conv_pack.wgsl
 * then int8_conv_packed.wgsl); fewer (depthwise, multiplier 2) keep the direct kernel, where most
 * of the 8 channel lanes would idle.
 */
export const INT8_CONV_GEMM_MIN_CHANNELS = 4;
/** Pixels and channels one invocation of int8_conv_packed.wgsl computes. */
const PIXELS = 4;
const CHANNELS = 8;

export interface Int8ConvAttrs {
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  dilations: [number, number];
  group: number;
}

import { convOutSize, sizeOf } from '../core/shape';
import { depthwiseParamsHead } from './conv';
export { convOutSize };

interface PackedGeometry { Hp: number; Wp: number; CPg: number; c4: boolean; bytes: number }

/**
 * The packed path's padded input frame (Hp, Wp), packed channel rows per group and scratch size,
 * or null where the direct kernel runs: too few channels per group, or a grid or an index past
 * what the shaders address.
 */
function packedGeometry(xShape: readonly number[], w: Int8Weights, conv: Int8ConvAttrs, OH: number, OW: number): PackedGeometry | null {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, cPerGroup] = w.shape as [number, number];
  const group = conv.group, mPerGroup = M / group;
  if (!w.conv || mPerGroup < INT8_CONV_GEMM_MIN_CHANNELS) return null;
  const c4 = w.conv.layout === 'c4';
  const Hp = H + conv.pads[0] + conv.pads[2], Wp = W + conv.pads[1] + conv.pads[3];
  const CPg = c4 ? Math.ceil(cPerGroup / 4) : cPerGroup;
  const words = N * group * CPg * Hp * Wp;
  const blocks = Math.ceil((N * OH * Math.ceil(OW / PIXELS)) / WG);
  if (words >= 2 ** 30 || N * M * OH * OW >= 2 ** 31 || N * C * H * W >= 2 ** 31) return null;
  if (blocks > MAX_GROUPS ** 2 || Math.ceil(words / WG) > MAX_GROUPS ** 2 || group * Math.ceil(mPerGroup / CHANNELS) > MAX_GROUPS) return null;
  return { Hp, Wp, CPg, c4, bytes: words * 4 };
}

/**
 * Whether int8_conv_dw.wgsl runs the call: depthwise weights with their per-tap differences, and
 * input and output indices within u32 range. Its scratch holds x quantised once: 4 bytes an element.
 */
function runsDepthwise(xShape: readonly number[], w: Int8Weights, conv: Int8ConvAttrs, OH: number, OW: number): boolean {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, cPerGroup] = w.shape as [number, number];
  return Boolean(w.perTap) && cPerGroup === 1 && M / conv.group < INT8_CONV_GEMM_MIN_CHANNELS && N * C * H * W < 2 ** 31 && N * M * OH * OW < 2 ** 31;
}

/** Bytes of int8Conv2d's input scratch for this call (Int8Options.scratch); 0 where it runs the direct kernel. */
export function int8ConvScratchBytes(xShape: readonly number[], w: Int8Weights, conv: Int8ConvAttrs): number {
  const [, , H, W] = xShape as [number, number, number, number];
  const [, , KH, KW] = w.shape as [number, number, number, number];
  const OH = convOutSize(H, KH, conv.strides[0], conv.dilations[0], conv.pads[0], conv.pads[2]);
  const OW = convOutSize(W, KW, conv.strides[1], conv.dilations[1], conv.pads[1], conv.pads[3]);
  if (runsDepthwise(xShape, w, conv, OH, OW)) return sizeOf(xShape) * 4;
  return packedGeometry(xShape, w, conv, OH, OW)?.bytes ?? 0;
}

/**
 * The packed kernel's tap table: for each weight word of the conv packing, the offset of the input
 * word it meets from the window origin in the packed frame (Hp, Wp): c4 words run (channel block,
 * kh, kw), w4 words (channel, kh, block of 4 kw).
 */
export function int8ConvTaps(cw: Int8ConvPacking, cPerGroup: number, KH: number, KW: number, Hp: number, Wp: number, dilations: [number, number]): Uint32Array {
  const [dH, dW] = dilations;
  const t = new Uint32Array(cw.words);
  let k = 0;
  if (cw.layout === 'c4') {
    for (let cb = 0; cb < Math.ceil(cPerGroup / 4); cb++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) t[k++] = (cb * Hp + kh * dH) * Wp + kw * dW;
  } else {
    for (let c = 0; c < cPerGroup; c++) for (let kh = 0; kh < KH; kh++) for (let kb = 0; kb < KW; kb += 4) t[k++] = (c * Hp + kh * dH) * Wp + kb * dW;
  }
  if (k !== cw.words) throw new Error(`int8ConvTaps: ${k} taps for ${cw.words} packed words`);
  return t;
}

/**
 * y = dequant(requant(conv(quant(x), wq) + bias)) with int8 arithmetic (shaders/int8_conv2d.wgsl),
 * or for 'float' weights y = conv(quant(x), wq) * xScale * wScale + biasF.
 * x: (N, C, H, W) f32; w: uploaded with shape (M, C/group, kH, kW); y: (N, M, OH, OW) f32.
 * x's quantisation is static or dynamic as in int8Matmul. Groups of at least
 * INT8_CONV_GEMM_MIN_CHANNELS output channels run as two dispatches, x quantised once into packed
 * int8x4 words (int8_conv_pack.wgsl, into opts.scratch or a buffer acquired here and owned by the
 * dispatches) and an implicit GEMM over them (int8_conv_packed.wgsl); depthwise layers (one input
 * channel per group, weights with perTap) as x quantised once into the scratch (int8_dw_quantize.wgsl)
 * and int8_conv_dw.wgsl over it; others as one dispatch of the
 * direct int8_conv2d.wgsl. Bit-identical results; pipelines depend on that choice and the dot4
 * variant only.
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
  if (opts?.depthwise !== false && runsDepthwise(x.shape, w, conv, OH, OW)) {
    // x quantised once into the scratch (int8_dw_quantize.wgsl), then the taps summed over it.
    const count = N * C * H * W;
    const scratch = opts?.scratch ?? ctx.acquire(`${label}:xdiff`, count * 4);
    if (scratch.size < count * 4) throw new Error(`${label}: scratch has ${scratch.size} bytes, needs ${count * 4}`);
    const { head, total } = depthwiseParamsHead(x.shape, w.shape, OH, OW, conv);
    const { params, xq } = int8QuantBindings(ctx, head.u32(w.perTap!.offset).u32(0).u32(0), w, q, label);
    const invocations = Math.ceil(count / DW_QUANTIZE_PER_INVOCATION);
    const quantParams = ctx.uniform(`${label}:quantize-params`, new UniformWriter().u32(count).i32(q.xShift ?? 0).u32(invocations).u32(0).finish());
    const quantPipeline = ctx.pipeline('int8_dw_quantize', int8Module(dwQuantizeCode, { quantize: true }), {});
    const pipeline = ctx.pipeline('int8_conv_dw', int8Module(`${dwPositionCode}\n${dwCode}`, { epilogue: true }), {});
    return [
      { label: `${label}:quantize`, pipeline: quantPipeline, bindGroup: ctx.bindGroup(`${label}:quantize`, quantPipeline, [quantParams, x.buffer, scratch, xq]), workgroups: gridFor(invocations, WG) },
      { label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, scratch, w.packed, w.channels, y.buffer, xq]), workgroups: gridFor(total, WG) },
    ];
  }
  const packed = packedGeometry(x.shape, w, conv, OH, OW);
  if (packed) {
    const { Hp, Wp, CPg, c4, bytes } = packed;
    const scratch = opts?.scratch ?? ctx.acquire(`${label}:xpacked`, bytes);
    if (scratch.size < bytes) throw new Error(`${label}: scratch has ${scratch.size} bytes, needs ${bytes}`);
    const cw = w.conv!;
    const chBlocks = Math.ceil(mPerGroup / CHANNELS);
    const OWB = Math.ceil(OW / PIXELS);
    const total = N * OH * OWB;
    const u = new UniformWriter()
      .u32(M).u32(OH).u32(OW).u32(OWB)
      .u32(sH).u32(sW).u32(Hp).u32(Wp)
      .u32(group).u32(CPg).u32(mPerGroup).u32(chBlocks)
      .u32(cw.words).u32(cw.offset).u32(total).u32(0);
    const { params, xq } = int8QuantBindings(ctx, u, w, q, label);
    const packWords = bytes / 4;
    const packParams = ctx.uniform(`${label}:pack-params`, new UniformWriter()
      .u32(C).u32(H).u32(W).u32(cPerGroup)
      .u32(group).u32(CPg).u32(Hp).u32(Wp)
      .u32(padT).u32(padL).u32(c4 ? 1 : 0).u32(dW)
      .u32(packWords).i32(q.xShift ?? 0).u32(0).u32(0)
      .finish());
    const packPipeline = ctx.pipeline('int8_conv_pack', int8Module(packCode, { quantize: true }), {});
    const taps = ctx.upload(`${label}:taps`, int8ConvTaps(cw, cPerGroup, KH, KW, Hp, Wp, conv.dilations));
    const pipeline = int8Pipeline(ctx, 'int8_conv_packed', int8Module(gemmCode, { epilogue: true }), opts);
    const [gx, gy] = gridFor(total, WG);
    return [
      { label: `${label}:pack`, pipeline: packPipeline, bindGroup: ctx.bindGroup(`${label}:pack`, packPipeline, [packParams, x.buffer, scratch, xq]), workgroups: gridFor(Math.ceil(packWords / PACK_WORDS_PER_INVOCATION), WG) },
      { label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, [params, scratch, w.packed, w.channels, y.buffer, xq, taps]), workgroups: [gx, gy, group * chBlocks] },
    ];
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
  const pipeline = int8Pipeline(ctx, 'int8_conv2d', int8Module(code, { quantize: true, epilogue: true }), opts);
  const buffers = [params, x.buffer, w.packed, w.channels, y.buffer, xq];
  return [{ label, pipeline, bindGroup: ctx.bindGroup(label, pipeline, buffers), workgroups: gridFor(total, WG) }];
}
