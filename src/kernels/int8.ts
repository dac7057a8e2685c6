/**
 * Shared host side of the int8 kernels (int8-matmul.ts, int8-conv.ts): weight packing and upload,
 * the dot4 variant choice, and the quantisation fields both params uniforms end with.
 *
 * Semantics (Jacob et al. 2018, integer-arithmetic-only inference):
 * - Weights are int8 per output channel n, real w = wScale[n] * (wq - wZero[n]); per-tensor is
 *   every channel equal, symmetric is wZero = 0. They are packed 4 per u32 along K, byte j of word
 *   k4 holding K index 4*k4 + j, K padded to a multiple of 4 with wZero[n]; layout (N, K4). For a
 *   conv, K = (C/group)*kH*kW in (c, kh, kw) order, i.e. ONNX's (M, C/group, kH, kW) flattened.
 * - Activations stay f32 between layers; a kernel quantises its input on load with the calibrated
 *   per-tensor (xScale, xZero) and writes its output dequantised with (yScale, yZero), so the
 *   values it stores are exactly those an int8 pipeline would hold. See shaders/int8_matmul.wgsl.
 * - bias is int32 with scale xScale*wScale[n]; mult[n] = fround(xScale*wScale[n]/yScale) is the
 *   f32 requantisation multiplier. Both are baked in at upload, so a call must pass the same
 *   xScale and yScale (checked).
 */
import dot4Builtin from '../shaders/dot4_builtin.wgsl?raw';
import dot4Unpacked from '../shaders/dot4_unpacked.wgsl?raw';
import type { GpuContext, UniformWriter } from '../gpu/context';

/** Host-side int8 weights as a quantiser produces them. */
export interface Int8WeightSpec {
  q: Int8Array; // (N, K) row-major
  N: number;
  K: number;
  scale: Float32Array; // (N)
  zero: Int8Array; // (N)
  biasQ: Int32Array | null; // (N), scale xScale*scale[n]
  xScale: number; // the input's calibrated scale, for mult and bias
  yScale: number; // the output's calibrated scale, for mult
  /** The original weight shape, e.g. (M, C/group, kH, kW) for a conv; default (N, K). */
  shape?: number[];
}

/** Int8 weights on the GPU, uploaded once by `uploadInt8Weights`. */
export interface Int8Weights {
  label: string;
  N: number;
  K: number;
  K4: number;
  shape: number[];
  /** (N, K4) u32, 4 int8 per word along K. */
  packed: GPUBuffer;
  /** (N) x vec4<u32>: wSum (i32, over the real K), wZero (i32), bias (i32), mult (f32 bits). */
  channels: GPUBuffer;
  /** Some wZero != 0, so kernels need the sum of xq. */
  asym: boolean;
  xScale: number;
  yScale: number;
}

/** The calibrated per-tensor quantisation of a kernel's input x and output y. */
export interface Int8Quant {
  xScale: number;
  xZero: number;
  yScale: number;
  yZero: number;
  /** Fused ReLU: yq clamps at yZero (real 0) instead of -128. */
  relu: boolean;
}

export interface Int8Options {
  /** Use the unpacked dot4 even where dot4I8Packed exists (tests, comparisons). */
  forceUnpacked?: boolean;
  label?: string;
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

/** The per-channel table bound beside the weights: (wSum, wZero, bias, mult bits) per channel. */
export function channelTable(spec: Int8WeightSpec): Uint32Array {
  const { q, N, K } = spec;
  const words = new Uint32Array(4 * N);
  const i32 = new Int32Array(words.buffer);
  const f32 = new Float32Array(words.buffer);
  const mult = requantMultipliers(spec.xScale, spec.scale, spec.yScale);
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += q[n * K + k]!;
    i32[4 * n] = s;
    i32[4 * n + 1] = spec.zero[n]!;
    i32[4 * n + 2] = spec.biasQ ? spec.biasQ[n]! : 0;
    f32[4 * n + 3] = mult[n]!;
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
  if (spec.scale.length !== N || spec.zero.length !== N || (spec.biasQ && spec.biasQ.length !== N)) {
    throw new Error(`${label}: scale, zero and bias need one entry per output channel (${N})`);
  }
  if (!(spec.xScale > 0 && spec.yScale > 0) || spec.scale.some((s) => !(s > 0 && Number.isFinite(s)))) {
    throw new Error(`${label}: scales must be positive and finite`);
  }
  const { packed, K4 } = packInt8Weights(spec.q, N, K, spec.zero);
  return {
    label, N, K, K4, shape,
    packed: ctx.upload(`${label}:packed`, packed),
    channels: ctx.upload(`${label}:channels`, channelTable(spec)),
    asym: spec.zero.some((z) => z !== 0),
    xScale: spec.xScale,
    yScale: spec.yScale,
  };
}

export function releaseInt8Weights(ctx: GpuContext, w: Int8Weights): void {
  ctx.release(w.packed);
  ctx.release(w.channels);
}

/**
 * A kernel's WGSL with dot4_builtin.wgsl or dot4_unpacked.wgsl in front (in front because the
 * builtin file's `requires` directive must precede declarations). Whole files side by side, as
 * `withActivation`; nothing is templated.
 */
export function withDot4(kernelCode: string, useBuiltin: boolean): string {
  return `${useBuiltin ? dot4Builtin : dot4Unpacked}\n${kernelCode}`;
}

/** The dot4 variant a call will use: the builtin where the adapter has it, unless forced off. */
export function dot4Variant(ctx: GpuContext, opts?: Int8Options): 'dot4i8' | 'unpacked' {
  return ctx.info.hasDot4I8 && !opts?.forceUnpacked ? 'dot4i8' : 'unpacked';
}

/**
 * The pipeline of `kernel` for the call's dot4 variant. The variant is in the name, not an
 * override, because the two are different modules (the builtin one does not compile without the
 * feature); ReLU and bias are data (the clamp floor and a zero bias), so nothing else specialises.
 */
export function int8Pipeline(ctx: GpuContext, kernel: string, code: string, opts?: Int8Options): GPUComputePipeline {
  const variant = dot4Variant(ctx, opts);
  return ctx.pipeline(`${kernel}:${variant}`, withDot4(code, variant === 'dot4i8'), {});
}

/** Appends the quantisation fields both int8 params structs end with (K ... asym), after checking `q`. */
export function writeQuantFields(u: UniformWriter, w: Int8Weights, q: Int8Quant, what: string): UniformWriter {
  const isZero = (z: number) => Number.isInteger(z) && z >= -128 && z <= 127;
  if (!isZero(q.xZero) || !isZero(q.yZero)) throw new Error(`${what}: zero points must be integers in [-128, 127], got ${q.xZero}, ${q.yZero}`);
  if (q.xScale !== w.xScale || q.yScale !== w.yScale) {
    throw new Error(`${what}: weights '${w.label}' were uploaded for xScale ${w.xScale}, yScale ${w.yScale} but the call uses ${q.xScale}, ${q.yScale}; upload them again`);
  }
  return u.u32(w.K).u32(w.K4)
    .i32(q.xZero).i32(q.yZero)
    .i32(q.relu ? q.yZero : -128).i32(127)
    .f32(1 / q.xScale).f32(q.yScale) // f32() rounds: invXScale = fround(1/xScale)
    .u32(w.asym ? 1 : 0);
}
