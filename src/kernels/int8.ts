/**
 * Shared host side of the int8 kernels (int8-matmul.ts, int8-conv.ts): weight packing and upload,
 * the dot4 variant choice, and the quantisation fields and bindings both kernels share.
 *
 * Semantics (Jacob et al. 2018, integer-arithmetic-only inference):
 * - Weights are int8 per output channel n, real w = wScale[n] * (wq - wZero[n]); per-tensor is
 *   every channel equal, symmetric is wZero = 0. They are packed 4 per u32 along K, byte j of word
 *   k4 holding K index 4*k4 + j, K padded to a multiple of 4 with wZero[n]; layout (N, K4). For a
 *   conv, K = (C/group)*kH*kW in (c, kh, kw) order, i.e. ONNX's (M, C/group, kH, kW) flattened.
 * - Activations stay f32 between layers; a kernel quantises its input on load with a per-tensor
 *   (xScale, xZero) read from a storage binding `xq` = (xScale, xZero, fround(1/xScale), 0):
 *   q = clamp(round(x * invXScale) + xZero + xShift, -128, 127), the arithmetic zero being
 *   xZero + xShift. Static calls (Int8Quant's xScale, xZero) upload xq per call; dynamic calls
 *   pass `Int8Quant.xq`, a GPU tensor such as dynamicQuantParams' qparams, whose uint8-grid zero
 *   xShift = -128 moves onto the int8 grid.
 * - The output depends on how the weights were uploaded (Int8WeightSpec.output):
 *   'requant' (default): bias is int32 with scale xScale*wScale[n]; mult[n] =
 *     fround(xScale*wScale[n]/yScale) requantises onto (yScale, yZero) and the kernel stores the
 *     dequantised int8 value, exactly what an int8 pipeline would hold. Both are baked in at
 *     upload, so a call must pass the same xScale and yScale (checked), and cannot be dynamic.
 *   'float': y = fround(fround(f32(acc) * fround(xScale*wScale[n])) + biasF[n]), acc without
 *     bias, ReLU as max(y, 0); no requantisation, so yScale/yZero are unused and the weights fit
 *     any xScale, static or dynamic (ONNX MatMulInteger/ConvInteger followed by Mul and Add).
 * See shaders/int8_matmul.wgsl.
 */
import dot4Builtin from '../shaders/dot4_builtin.wgsl?raw';
import dot4Unpacked from '../shaders/dot4_unpacked.wgsl?raw';
import quantizeCode from '../shaders/int8_quantize.wgsl?raw';
import epilogueCode from '../shaders/int8_epilogue.wgsl?raw';
import type { GpuContext, UniformWriter } from '../gpu/context';
import { sizeOf } from '../core/shape';
import { activationParams, type Activation, type GpuTensor } from './common';

interface Int8WeightBase {
  q: Int8Array; // (N, K) row-major
  N: number;
  K: number;
  scale: Float32Array; // (N)
  zero: Int8Array; // (N)
  /** The original weight shape, e.g. (M, C/group, kH, kW) for a conv; default (N, K). */
  shape?: number[];
}

/** Int8 weights whose kernels requantise their output onto a calibrated int8 grid (the default). */
export interface Int8RequantWeightSpec extends Int8WeightBase {
  output?: 'requant';
  biasQ: Int32Array | null; // (N), scale xScale*scale[n]
  xScale: number; // the input's calibrated scale, for mult and bias
  yScale: number; // the output's calibrated scale, for mult
}

/** Int8 weights whose kernels write float: y = acc * xScale * scale[n] + biasF[n]. */
export interface Int8FloatWeightSpec extends Int8WeightBase {
  output: 'float';
  biasF: Float32Array | null; // (N), real units
}

/** Host-side int8 weights as a quantiser produces them. */
export type Int8WeightSpec = Int8RequantWeightSpec | Int8FloatWeightSpec;

/** Int8 weights on the GPU, uploaded once by `uploadInt8Weights`. */
export interface Int8Weights {
  label: string;
  N: number;
  K: number;
  K4: number;
  shape: number[];
  /** (N, K4) u32, 4 int8 per word along K. */
  packed: GPUBuffer;
  /**
   * (N) x vec4<u32>: wSum (i32, over the real K), wZero (i32), then for 'requant' bias (i32) and
   * mult (f32 bits), for 'float' bias (f32 bits) and wScale (f32 bits).
   */
  channels: GPUBuffer;
  /** Some wZero != 0, so kernels need the sum of xq. */
  asym: boolean;
  output: 'requant' | 'float';
  /** The scales 'requant' weights were baked for; null for 'float'. */
  xScale: number | null;
  yScale: number | null;
  /** For 4-D (conv) weights, a second packing in `packed` after the (N, K4) words; see Int8ConvPacking. */
  conv: Int8ConvPacking | null;
  /**
   * Depthwise conv weights (C/group = 1, at most INT8_DW_MAX_TAPS taps): each tap's wq - wZero as
   * f32, (N, KH*KW), in `packed` from word `offset` on, for int8_conv_dw.wgsl.
   */
  perTap: { offset: number } | null;
}

/** Taps a depthwise int8 kernel sums in f32 exactly: 256 terms of at most 255 * 255 stay below 2^24. */
export const INT8_DW_MAX_TAPS = 256;

/**
 * Conv weights re-packed for int8_conv_packed.wgsl, whose packed input words hold either 4
 * consecutive channels of one pixel ('c4': K words in (channel block, kh, kw) order within a group)
 * or 4 taps along W of one channel ('w4': (c, kh, kw block) order). Slots past the real channels or
 * taps hold wZero, so whatever x byte meets them cancels out of the zero-point expansion; K and
 * wSum stay those of the real taps. The layout is the one that wastes fewer slots for the shape.
 */
export interface Int8ConvPacking {
  layout: 'c4' | 'w4';
  /** Packed words per output channel. */
  words: number;
  /** Where they start in `packed`, in words: layout (N, words). */
  offset: number;
}

/** The conv packing layout for weights (M, cPerGroup, KH, KW), and its words per output channel. */
export function convPackingOf(cPerGroup: number, KH: number, KW: number): { layout: 'c4' | 'w4'; words: number } {
  const c4 = Math.ceil(cPerGroup / 4) * KH * KW, w4 = cPerGroup * KH * Math.ceil(KW / 4);
  return c4 <= w4 ? { layout: 'c4', words: c4 } : { layout: 'w4', words: w4 };
}

/** Packs conv weights q (M, cPerGroup, KH, KW) as convPackingOf says, padding with each channel's zero. */
export function packInt8ConvWeights(q: Int8Array, shape: readonly number[], zero: Int8Array): { packed: Uint32Array; layout: 'c4' | 'w4'; words: number } {
  const [M, cpg, KH, KW] = shape as [number, number, number, number];
  const { layout, words } = convPackingOf(cpg, KH, KW);
  const packed = new Uint32Array(M * words);
  for (let m = 0; m < M; m++) {
    const z = zero[m]!;
    const at = (c: number, kh: number, kw: number) => (c < cpg && kw < KW ? q[((m * cpg + c) * KH + kh) * KW + kw]! : z);
    let i = m * words;
    const put = (b: [number, number, number, number]) => { packed[i++] = ((b[0] & 0xff) | ((b[1] & 0xff) << 8) | ((b[2] & 0xff) << 16) | ((b[3] & 0xff) << 24)) >>> 0; };
    if (layout === 'c4') {
      for (let cb = 0; cb < cpg; cb += 4) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        put([at(cb, kh, kw), at(cb + 1, kh, kw), at(cb + 2, kh, kw), at(cb + 3, kh, kw)]);
      }
    } else {
      for (let c = 0; c < cpg; c++) for (let kh = 0; kh < KH; kh++) for (let kb = 0; kb < KW; kb += 4) {
        put([at(c, kh, kb), at(c, kh, kb + 1), at(c, kh, kb + 2), at(c, kh, kb + 3)]);
      }
    }
  }
  return { packed, layout, words };
}

/** A kernel call's quantisation of its input x and output y. */
export interface Int8Quant {
  /** Static input quantisation; unused when `xq` is given. */
  xScale: number;
  xZero: number;
  /** Output quantisation; unused by 'float' weights. */
  yScale: number;
  yZero: number;
  /** Fused ReLU: yq clamps at yZero (real 0) instead of -128; 'float' output: max(y, 0). */
  relu: boolean;
  /** 'float' output only: a fused Clip (ReLU6 and the like) applied after the bias, in place of `relu`, or SiLU. */
  act?: Activation;
  /**
   * Dynamic input quantisation: f32[4] (xScale, xZero, 1/xScale, unused) on the GPU, e.g.
   * dynamicQuantParams' qparams. Needs 'float' weights.
   */
  xq?: GpuTensor;
  /** Added to the input zero point (static or xq's): -128 runs a uint8 grid on these int8 kernels. Default 0. */
  xShift?: number;
}

export interface Int8Options {
  /**
   * The dot4: 'builtin' (dot4I8Packed where the adapter has it), 'unpacked' (sign-extended bytes),
   * or 'auto' (the default): the builtin, except for the kernels SOFTWARE_UNPACKED names on a
   * software adapter.
   */
  dot4?: 'auto' | 'builtin' | 'unpacked';
  label?: string;
  /**
   * int8Conv2d only: the input scratch (x packed, or x quantised once for a depthwise layer), at
   * least int8ConvScratchBytes(...) bytes, owned by the caller, who may share it between layers run
   * in order. Without it one is acquired per call
   * and belongs to the returned dispatches (as XnorOptions.scratch): plan once, run many times.
   */
  scratch?: GPUBuffer;
  /** int8Conv2d only: false keeps depthwise layers on the direct kernel (tests, comparisons). */
  depthwise?: boolean;
}

/** Packs int8 weights (N, K) 4 per u32 along K (byte j of word k4 = K index 4*k4 + j), padding K with the zero point. */
export function packInt8Weights(q: Int8Array, N: number, K: number, zero: Int8Array | number): { packed: Uint32Array; K4: number } {
  if (q.length !== N * K) throw new Error(`packInt8Weights: ${q.length} values, expected N*K = ${N}*${K}`);
  const K4 = Math.ceil(K / 4);
  const packed = new Uint32Array(N * K4);
  for (let n = 0; n < N; n++) {
    const z = typeof zero === 'number' ? zero : zero[n]!;
    for (let k = 0; k < K4 * 4; k++) {
      const v = k < K ? q[n * K + k]! : z;
      packed[n * K4 + (k >> 2)] |= (v & 0xff) << (8 * (k & 3));
    }
  }
  return { packed, K4 };
}

/** mult[n] = fround(xScale * wScale[n] / yScale), the f32 requantisation multipliers. */
export function requantMultipliers(xScale: number, wScale: Float32Array, yScale: number): Float32Array {
  return Float32Array.from(wScale, (s) => (xScale * s) / yScale);
}

/** The per-channel table bound beside the weights, laid out as `Int8Weights.channels`. */
export function channelTable(spec: Int8WeightSpec): Uint32Array {
  const { q, N, K } = spec;
  const words = new Uint32Array(4 * N);
  const i32 = new Int32Array(words.buffer);
  const f32 = new Float32Array(words.buffer);
  const mult = spec.output === 'float' ? null : requantMultipliers(spec.xScale, spec.scale, spec.yScale);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += q[n * K + k]!;
    i32[4 * n] = s;
    i32[4 * n + 1] = spec.zero[n]!;
    if (spec.output === 'float') {
      f32[4 * n + 2] = spec.biasF ? spec.biasF[n]! : 0;
      f32[4 * n + 3] = spec.scale[n]!;
    } else {
      i32[4 * n + 2] = spec.biasQ ? spec.biasQ[n]! : 0;
      f32[4 * n + 3] = mult![n]!;
    }
  }
  return words;
}

/** Packs and uploads int8 weights with their per-channel table; release with `releaseInt8Weights`. */
export function uploadInt8Weights(ctx: GpuContext, label: string, spec: Int8WeightSpec): Int8Weights {
  const { N, K } = spec;
  const shape = spec.shape ?? [N, K];
  if (shape[0] !== N || shape.slice(1).reduce((a, b) => a * b, 1) !== K) {
    throw new Error(`${label}: weight shape (${shape}) does not flatten to (N, K) = (${N}, ${K})`);
  }
  const bias = spec.output === 'float' ? spec.biasF : spec.biasQ;
  if (spec.scale.length !== N || spec.zero.length !== N || (bias && bias.length !== N)) {
    throw new Error(`${label}: scale, zero and bias need one entry per output channel (${N})`);
  }
  const requant = spec.output !== 'float';
  if ((requant && !(spec.xScale > 0 && spec.yScale > 0)) || spec.scale.some((s) => !(s > 0 && Number.isFinite(s)))) {
    throw new Error(`${label}: scales must be positive and finite`);
  }
  const { packed: rows, K4 } = packInt8Weights(spec.q, N, K, spec.zero);
  // Conv weights carry their conv packing in the same buffer, so whoever frees `packed` frees both.
  let packed = rows, conv: Int8ConvPacking | null = null, perTap: Int8Weights['perTap'] = null;
  if (shape.length === 4) {
    const c = packInt8ConvWeights(spec.q, shape, spec.zero);
    const depthwise = shape[1] === 1 && K <= INT8_DW_MAX_TAPS;
    packed = new Uint32Array(rows.length + c.packed.length + (depthwise ? N * K : 0));
    packed.set(rows);
    packed.set(c.packed, rows.length);
    conv = { layout: c.layout, words: c.words, offset: rows.length };
    if (depthwise) {
      const offset = rows.length + c.packed.length;
      const taps = new Float32Array(packed.buffer, offset * 4, N * K);
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) taps[n * K + k] = spec.q[n * K + k]! - spec.zero[n]!;
      perTap = { offset };
    }
  }
  return {
    label, N, K, K4, shape, conv, perTap,
    packed: ctx.upload(`${label}:packed`, packed),
    channels: ctx.upload(`${label}:channels`, channelTable(spec)),
    asym: spec.zero.some((z) => z !== 0),
    output: requant ? 'requant' : 'float',
    xScale: requant ? spec.xScale : null,
    yScale: requant ? spec.yScale : null,
  };
}

export function releaseInt8Weights(ctx: GpuContext, w: Int8Weights): void {
  ctx.release(w.packed);
  ctx.release(w.channels);
}

/**
 * A kernel's WGSL with the shared int8 parts it uses in front: int8_quantize.wgsl (quantize on
 * load) and int8_epilogue.wgsl (requantize or float output). Whole files side by side.
 */
export function int8Module(kernelCode: string, parts: { quantize?: boolean; epilogue?: boolean }): string {
  return [parts.quantize ? quantizeCode : '', parts.epilogue ? epilogueCode : '', kernelCode].filter(Boolean).join('\n');
}

/**
 * A kernel's WGSL with dot4_builtin.wgsl or dot4_unpacked.wgsl in front (in front because the
 * builtin file's `requires` directive must precede declarations). Whole files side by side, as
 * `withActivation`; nothing is templated.
 */
export function withDot4(kernelCode: string, useBuiltin: boolean): string {
  return `${useBuiltin ? dot4Builtin : dot4Unpacked}\n${kernelCode}`;
}

/**
 * Kernels that run faster with the unpacked dot4 on a software adapter, whose dot4I8Packed is
 * emulated: the packed conv measured 1.08–1.19× faster unpacked at ResNet's 3×3 shapes (Dawn,
 * SwiftShader, 2026-12-06) and 1.13–1.16× on the kernel bench's convs (2026-11-29); the GEMMs
 * were 0.67–0.79× unpacked there, so they keep the builtin.
 */
const SOFTWARE_UNPACKED: ReadonlySet<string> = new Set(['int8_conv_packed']);

/** The dot4 variant a call of `kernel` will use (Int8Options.dot4). */
export function dot4Variant(ctx: GpuContext, opts?: Int8Options, kernel = ''): 'dot4i8' | 'unpacked' {
  const want = opts?.dot4 ?? 'auto';
  if (!ctx.info.hasDot4I8 || want === 'unpacked') return 'unpacked';
  return want === 'auto' && ctx.info.isFallback && SOFTWARE_UNPACKED.has(kernel) ? 'unpacked' : 'dot4i8';
}

/**
 * The pipeline of `kernel` for the call's dot4 variant. The variant is in the name, not an
 * override, because the two are different modules (the builtin one does not compile without the
 * feature); ReLU and bias are data (the clamp floor and a zero bias), so nothing else specialises.
 */
export function int8Pipeline(ctx: GpuContext, kernel: string, code: string, opts?: Int8Options): GPUComputePipeline {
  const variant = dot4Variant(ctx, opts, kernel);
  return ctx.pipeline(`${kernel}:${variant}`, withDot4(code, variant === 'dot4i8'), {});
}

/** Activations an int8 kernel's float output applies: ReLU and Clip as a clamp, and SiLU. */
export const INT8_FLOAT_ACTIVATIONS: ReadonlySet<Activation['kind']> = new Set(['none', 'relu', 'clip', 'silu']);

/**
 * What an int8 call applies to its float output: the clamp [yMin, yMax] (the f32 range when none),
 * as a Clip's params, and whether SiLU follows it.
 */
function floatActivation(w: Int8Weights, q: Int8Quant): { yMin: number; yMax: number; silu: boolean } {
  const act = q.act ?? { kind: 'none' };
  if (!INT8_FLOAT_ACTIVATIONS.has(act.kind)) throw new Error(`int8 '${w.label}': a float output applies ReLU, Clip or SiLU, not ${act.kind}`);
  if (act.kind !== 'none' && q.relu) throw new Error(`int8 '${w.label}': both relu and act ${act.kind} were asked for`);
  if (w.output !== 'float' && act.kind !== 'none') throw new Error(`int8 '${w.label}': act applies to a float output; a requantized one clamps ReLU on its grid (relu)`);
  // ReLU is Clip(0, ∞), none and SiLU Clip(−∞, ∞); activationParams bounds the infinities to the f32 range.
  const [yMin, yMax] = activationParams(act.kind === 'clip' ? act : { kind: 'clip', a: q.relu || act.kind === 'relu' ? 0 : undefined });
  return { yMin, yMax, silu: act.kind === 'silu' };
}

/**
 * Appends the quantisation fields every int8 params struct ends with (K ... yMin, yMax, silu) after
 * checking `q` against `w`, and returns the finished uniform with the `xq` buffer to bind: q.xq's,
 * or (xScale, xZero, fround(1/xScale), 0) uploaded for a static call.
 */
export function int8QuantBindings(
  ctx: GpuContext, u: UniformWriter, w: Int8Weights, q: Int8Quant, what: string,
): { params: GPUBuffer; xq: GPUBuffer } {
  const isZero = (z: number) => Number.isInteger(z) && z >= -128 && z <= 127;
  const xShift = q.xShift ?? 0;
  if (!Number.isInteger(xShift)) throw new Error(`${what}: xShift must be an integer, got ${xShift}`);
  const floatOut = w.output === 'float';
  if (q.xq) {
    if (!floatOut) {
      throw new Error(`${what}: dynamic input quantisation (q.xq) needs weights uploaded with output 'float'; '${w.label}' requantises with a multiplier baked for a known xScale`);
    }
    if (sizeOf(q.xq.shape) !== 4) throw new Error(`${what}: q.xq must hold 4 values (xScale, xZero, 1/xScale, 0), got [${q.xq.shape}]`);
  } else {
    if (!isZero(q.xZero + xShift)) throw new Error(`${what}: zero points must be integers in [-128, 127], got xZero ${q.xZero} + xShift ${xShift}`);
    if (!(q.xScale > 0 && Number.isFinite(q.xScale))) throw new Error(`${what}: xScale must be positive and finite, got ${q.xScale}`);
  }
  if (!floatOut) {
    if (!isZero(q.yZero)) throw new Error(`${what}: zero points must be integers in [-128, 127], got yZero ${q.yZero}`);
    if (q.xScale !== w.xScale || q.yScale !== w.yScale) {
      throw new Error(`${what}: weights '${w.label}' were uploaded for xScale ${w.xScale}, yScale ${w.yScale} but the call uses ${q.xScale}, ${q.yScale}; upload them again`);
    }
  }
  const yZero = floatOut ? 0 : q.yZero;
  const { yMin, yMax, silu } = floatActivation(w, q);
  u.u32(w.K).u32(w.K4)
    .i32(xShift).i32(yZero)
    .i32(q.relu ? yZero : -128).i32(127)
    .u32(floatOut ? 1 : 0).f32(floatOut ? 1 : q.yScale) // float: an opaque 1 (the shaders' fma guard)
    .u32(w.asym ? 1 : 0).f32(yMin).f32(yMax).u32(silu ? 1 : 0);
  // Float32Array rounds: invXScale = fround(1/xScale), as before xq was a binding.
  const xq = q.xq?.buffer ?? ctx.upload(`${what}:xq`, Float32Array.of(q.xScale, q.xZero, 1 / q.xScale, 0));
  return { params: ctx.uniform(`${what}:params`, u.finish()), xq };
}
