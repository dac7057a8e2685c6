import { activationParams, applyActivation, type Activation } from './common';
import { packLanes } from './binary-net';
import type { XnorConvAttrs } from './xnor-conv';

/**
 * Plain-loop XNOR-Net references (semantics in binary-net.ts). They work on the f32 values, not
 * on bits: dot is a sum of sign products, so packing mistakes in the kernels cannot hide here.
 * Every f32 step of the kernels is repeated with Math.fround, so outputs match bit for bit.
 */

const f = Math.fround;
const sgn = (v: number): number => (v >= 0 ? 1 : -1); // sign(0) = +1 (and -0 >= 0)
const F32_MIN_NORMAL = 2 ** -126;

export interface XnorRefOptions { activationScale: boolean; act: Activation }

/** alpha[n] = mean |W[n, :]|: f64 sum, rounded to f32 once. w: (N, K). */
function alphaOf(w: Float32Array, n: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.abs(w[n * K + k]!);
  return f(s / K);
}

/**
 * beta of one row from its lanes' partial f32 sums (lane (k >> 5) % L, added in k order): the pack
 * kernel's halving tree, then sum / count. That division in f64 rounded to f32 is correctly
 * rounded (a 24-bit sum over a count < 2^24 cannot land on an f32 tie), as the kernel's is.
 */
function betaOf(parts: number[], count: number): number {
  for (let h = parts.length >> 1; h >= 1; h >>= 1) {
    for (let l = 0; l < h; l++) parts[l] = f(parts[l]! + parts[l + h]!);
  }
  const s = parts[0]!;
  return count === 0 || s < F32_MIN_NORMAL ? 0 : f(s / count);
}

/** The activation on an f32 value as the shader computes it. */
function activate32(v: number, act: Activation): number {
  const [a, b] = activationParams(act).map(f) as [number, number];
  switch (act.kind) {
    case 'none': return v;
    case 'relu': return v > 0 ? v : 0;
    case 'leakyRelu': return v >= 0 ? v : f(v * a);
    case 'clip': return Math.min(Math.max(v, a), b);
    // exp/tanh on a GPU are not correctly rounded: tests compare these within a few ulp.
    default: return f(applyActivation(v, act));
  }
}

/** y = act(alpha * beta * dot + bias), one f32 rounding per op, in the shader's order. */
function epilogue(alpha: number, beta: number, dot: number, bias: number | null, act: Activation): number {
  let v = f(f(alpha * beta) * dot);
  if (bias !== null) v = f(v + bias);
  return activate32(v, act);
}

/** x: (M, K), w: (N, K), bias: (N) or null -> y: (M, N). */
export function xnorMatmulRef(
  x: Float32Array, M: number, K: number, w: Float32Array, N: number, bias: Float32Array | null, opts: XnorRefOptions,
): Float32Array {
  const L = packLanes(Math.ceil(K / 32));
  const y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    const parts = new Array<number>(L).fill(0);
    for (let k = 0; k < K; k++) {
      const l = (k >> 5) % L;
      parts[l] = f(parts[l]! + Math.abs(x[m * K + k]!));
    }
    const beta = opts.activationScale ? betaOf(parts, K) : 1;
    for (let n = 0; n < N; n++) {
      let dot = 0;
      for (let k = 0; k < K; k++) dot += sgn(x[m * K + k]!) * sgn(w[n * K + k]!);
      y[m * N + n] = epilogue(alphaOf(w, n, K), beta, dot, bias ? bias[n]! : null, opts.act);
    }
  }
  return y;
}

/** x: (N, C, H, W), w: (M, C/group, KH, KW), bias: (M) or null -> y: yShape (N, M, OH, OW). */
export function xnorConv2dRef(
  x: Float32Array, xShape: readonly number[], w: Float32Array, wShape: readonly number[], bias: Float32Array | null,
  conv: XnorConvAttrs, opts: XnorRefOptions, yShape: readonly number[],
): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [M, Cg, KH, KW] = wShape as [number, number, number, number];
  const [, , OH, OW] = yShape as [number, number, number, number];
  const [sH, sW] = conv.strides;
  const [padT, padL] = conv.pads;
  const [dH, dW] = conv.dilations;
  const K = Cg * KH * KW;
  const L = packLanes(Math.ceil(K / 32));
  const Mg = M / conv.group;
  const y = new Float32Array(N * M * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const g = Math.floor(m / Mg);
      const alpha = alphaOf(w, m, K);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let dot = 0, count = 0;
          const parts = new Array<number>(L).fill(0);
          for (let k = 0; k < K; k++) { // k = (c, kh, kw)
            const c = Math.floor(k / (KH * KW)), kh = Math.floor(k / KW) % KH, kw = k % KW;
            const ih = oh * sH - padT + kh * dH, iw = ow * sW - padL + kw * dW;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue; // padding: not a match, not a mismatch
            const xv = x[((n * C + g * Cg + c) * H + ih) * W + iw]!;
            dot += sgn(xv) * sgn(w[m * K + k]!);
            count++;
            const l = (k >> 5) % L;
            parts[l] = f(parts[l]! + Math.abs(xv));
          }
          const beta = opts.activationScale ? betaOf(parts, count) : 1;
          y[((n * M + m) * OH + oh) * OW + ow] = epilogue(alpha, beta, dot, bias ? bias[m]! : null, opts.act);
        }
      }
    }
  }
  return y;
}
