/**
 * CPU references for the int8 kernels and the quantisers that feed them. Every f32 step the
 * shaders take is reproduced with Math.fround (a product of two f32 values is exact in f64, so
 * fround of it is the correctly rounded f32 product) and round-half-to-even, and the accumulator
 * wraps like i32, so a kernel must match these bit for bit. The accumulator is summed directly as
 * sum (xq - xZero)(wq - wZero): the kernels expand it, so agreement also checks the expansion.
 * The input's (xScale, xZero, invXScale) come from `xqOf`: the call's static values, or the
 * values a dynamic call's xq tensor held on the GPU (read back and passed in).
 */
import type { Int8ConvAttrs } from './int8-conv';
import type { Int8Quant, Int8RequantWeightSpec, Int8WeightSpec } from './int8';
import { applyActivation } from './common';

const f = Math.fround;
const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

import { roundHalfEven } from '../core/round';
export { roundHalfEven };

/** xq = clamp(round(f32(x * invXScale)) + xZero, -128, 127), invXScale = fround(1/xScale). */
export function quantizeValue(x: number, invXScale: number, xZero: number): number {
  return clamp(roundHalfEven(f(x * invXScale)) + xZero, -128, 127);
}

/** The requantise-then-dequantise epilogue: [yq, y] for an i32 accumulator. */
export function requantize(acc: number, mult: number, q: Int8Quant): [number, number] {
  const r = roundHalfEven(f(f(acc) * mult));
  const yq = clamp(r + q.yZero, q.relu ? q.yZero : -128, 127);
  return [yq, f((yq - q.yZero) * f(q.yScale))];
}

/** Asymmetric per-tensor (scale, zero) for activations observed in [min, max]; the range always holds 0. */
export function activationQuantParams(min: number, max: number): { scale: number; zero: number } {
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  const scale = f((hi - lo) / 255) || 1;
  return { scale, zero: clamp(roundHalfEven(-128 - lo / scale), -128, 127) };
}

/** Quantises f32 weights (N, K) per channel or per tensor, symmetric ([-127, 127], zero 0) or asymmetric. */
export function quantizeWeights(
  w: Float32Array, N: number, K: number, opts: { symmetric: boolean; perChannel: boolean },
): { q: Int8Array; scale: Float32Array; zero: Int8Array } {
  const q = new Int8Array(N * K), scale = new Float32Array(N), zero = new Int8Array(N);
  const range = (from: number, to: number) => {
    let lo = 0, hi = 0;
    for (let i = from; i < to; i++) { lo = Math.min(lo, w[i]!); hi = Math.max(hi, w[i]!); }
    return [lo, hi] as const;
  };
  const whole = range(0, N * K);
  for (let n = 0; n < N; n++) {
    const [lo, hi] = opts.perChannel ? range(n * K, (n + 1) * K) : whole;
    let s: number, z: number;
    if (opts.symmetric) { s = f(Math.max(-lo, hi) / 127) || 1; z = 0; } else ({ scale: s, zero: z } = activationQuantParams(lo, hi));
    scale[n] = s; zero[n] = z;
    for (let k = 0; k < K; k++) q[n * K + k] = clamp(roundHalfEven(w[n * K + k]! / s) + z, opts.symmetric ? -127 : -128, 127);
  }
  return { q, scale, zero };
}

/** bq[n] = round(bias[n] / (xScale * wScale[n])), the int32 bias. */
export function quantizeBias(bias: Float32Array, xScale: number, wScale: Float32Array): Int32Array {
  return Int32Array.from(bias, (b, n) => clamp(roundHalfEven(b / (xScale * wScale[n]!)), -(2 ** 31), 2 ** 31 - 1));
}

/** Multipliers as uploadInt8Weights computes them, restated here so the oracle stands alone. */
function multipliers(w: Int8RequantWeightSpec): number[] {
  return Array.from(w.scale, (s) => f((w.xScale * s) / w.yScale));
}

/** What a reference returns: y (as the kernel stores it), yq ('requant' only; 0 for 'float'), and the i32 accumulators ('requant': bias included; 'float': without). */
export interface Int8RefResult { y: Float32Array; yq: Int32Array; acc: Int32Array }

/** The input quantisation a kernel sees: (xScale, arithmetic zero xZero + xShift, invXScale). */
function xqOf(q: Int8Quant, xq?: ArrayLike<number>): { xScale: number; xZero: number; inv: number } {
  const [xScale, xZero, inv] = xq ? [xq[0]!, xq[1]!, xq[2]!] : [f(q.xScale), q.xZero, f(1 / q.xScale)];
  return { xScale, xZero: xZero + (q.xShift ?? 0), inv };
}

/** The epilogue for channel n's accumulator (bias not yet added): writes y, yq and acc at o. */
function epilogue(w: Int8WeightSpec, q: Int8Quant, xScale: number, mult: number[] | null, n: number, acc: number, o: number, r: Int8RefResult): void {
  if (w.output === 'float') {
    r.acc[o] = acc;
    const y = f(f(f(acc) * f(xScale * w.scale[n]!)) + (w.biasF ? w.biasF[n]! : 0));
    // The fused activation: q.act, else ReLU when asked (computed in f64 and stored as f32: exact for ReLU and Clip).
    r.y[o] = q.act && q.act.kind !== 'none' ? applyActivation(y, q.act) : q.relu ? Math.max(y, 0) : y;
  } else {
    r.acc[o] = acc = (acc + (w.biasQ ? w.biasQ[n]! : 0)) | 0;
    [r.yq[o], r.y[o]] = requantize(acc, mult![n]!, q);
  }
}

function result(size: number): Int8RefResult {
  return { y: new Float32Array(size), yq: new Int32Array(size), acc: new Int32Array(size) };
}

/** x: (M, K) f32; w: (N, K) int8. All results (M, N). `xq`: a dynamic call's (xScale, xZero, invXScale). */
export function int8MatmulRef(x: Float32Array, M: number, w: Int8WeightSpec, q: Int8Quant, xq?: ArrayLike<number>): Int8RefResult {
  const { N, K } = w;
  const { xScale, xZero, inv } = xqOf(q, xq);
  const mult = w.output === 'float' ? null : multipliers(w);
  const r = result(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        const xv = quantizeValue(x[m * K + k]!, inv, xZero);
        acc = (acc + Math.imul(xv - xZero, w.q[n * K + k]! - w.zero[n]!)) | 0;
      }
      epilogue(w, q, xScale, mult, n, acc, m * N + n, r);
    }
  }
  return r;
}

/** x: (N, C, H, W) f32; w: (M, C/group, KH, KW) int8 as w.shape; yShape (N, M, OH, OW). `xq` as int8MatmulRef. */
export function int8Conv2dRef(
  x: Float32Array, xShape: readonly number[], w: Int8WeightSpec, conv: Int8ConvAttrs, q: Int8Quant, yShape: readonly number[],
  xq?: ArrayLike<number>,
): Int8RefResult {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, cpg, KH, KW] = w.shape as [number, number, number, number];
  const [, , OH, OW] = yShape as [number, number, number, number];
  const mpg = M / conv.group;
  const { xScale, xZero, inv } = xqOf(q, xq);
  const mult = w.output === 'float' ? null : multipliers(w);
  const r = result(N * M * OH * OW);
  for (let n = 0; n < N; n++) for (let m = 0; m < M; m++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    const g = Math.floor(m / mpg);
    let acc = 0;
    for (let c = 0; c < cpg; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * conv.strides[0] - conv.pads[0] + kh * conv.dilations[0];
      const iw = ow * conv.strides[1] - conv.pads[1] + kw * conv.dilations[1];
      const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
      const xv = inside ? quantizeValue(x[((n * C + g * cpg + c) * H + ih) * W + iw]!, inv, xZero) : xZero; // pad = real 0
      const wq = w.q[((m * cpg + c) * KH + kh) * KW + kw]!;
      acc = (acc + Math.imul(xv - xZero, wq - w.zero[m]!)) | 0;
    }
    epilogue(w, q, xScale, mult, m, acc, ((n * M + m) * OH + oh) * OW + ow, r);
  }
  return r;
}
