/**
 * Plain-loop CPU references for the training kernels in train-grads.ts. Arithmetic is in float64;
 * results are rounded to f32 at the end. The pool reference scatters (loop over windows) where the
 * kernel gathers (loop over dx), so the two do not share an indexing mistake.
 */
import { sizeOf, stridesOf } from '../core/shape';
import type { Activation } from './common';
import type { PoolAttrs } from './pool';
import type { BatchNormTrainAttrs } from './train-grads';

/** act'(v), taking at each kink the side the forward's comparison takes (see activation_grad.wgsl). */
export function activationDerivative(v: number, act: Activation): number {
  switch (act.kind) {
    case 'none': return 1;
    case 'relu': return v > 0 ? 1 : 0;
    case 'leakyRelu': return v >= 0 ? 1 : act.a ?? 0.01;
    case 'clip': return v >= (act.a ?? -Infinity) && v <= (act.b ?? Infinity) ? 1 : 0;
    case 'sigmoid': { const s = 1 / (1 + Math.exp(-v)); return s * (1 - s); }
    case 'tanh': { const t = Math.tanh(v); return 1 - t * t; }
    case 'hardSigmoid': {
      const a = act.a ?? 0.2, h = a * v + (act.b ?? 0.5);
      return h > 0 && h < 1 ? a : 0;
    }
    case 'hardSwish': return v < -3 ? 0 : v > 3 ? 1 : v / 3 + 0.5;
    case 'silu': { const s = 1 / (1 + Math.exp(-v)); return s + v * s * (1 - s); }
  }
}

/** dx[i] = dy[i] * act'(x[i]). */
export function activationGradRef(x: Float32Array, dy: Float32Array, act: Activation): Float32Array {
  const dx = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) dx[i] = dy[i]! * activationDerivative(x[i]!, act);
  return dx;
}

/**
 * Backward of pool2dRef: every window adds its dy to the first maximum in window order (max) or
 * dy / count to each real element (average, count as the forward's).
 */
export function pool2dGradRef(x: Float32Array, xShape: number[], dy: Float32Array, yShape: number[], attrs: PoolAttrs): Float32Array {
  const [N, C, H, W] = xShape as [number, number, number, number];
  const [, , OH, OW] = yShape as [number, number, number, number];
  const [KH, KW] = attrs.kernel;
  const [sH, sW] = attrs.strides;
  const [padT, padL, padB, padR] = attrs.pads;
  const [dH, dW] = attrs.dilations;
  const dx = new Float64Array(N * C * H * W);
  for (let nc = 0; nc < N * C; nc++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const g = dy[(nc * OH + oh) * OW + ow]!;
        const taps: number[] = []; // dx indices of the window's real elements, in window order
        let padded = 0;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * sH - padT + kh * dH;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sW - padL + kw * dW;
            if (ih < H + padB && iw < W + padR) padded++;
            if (ih >= 0 && ih < H && iw >= 0 && iw < W) taps.push((nc * H + ih) * W + iw);
          }
        }
        if (taps.length === 0) continue;
        if (attrs.kind === 'max') {
          let best = taps[0]!;
          for (const t of taps) if (x[t]! > x[best]!) best = t;
          dx[best] += g;
        } else {
          const count = attrs.countIncludePad ? padded : taps.length;
          for (const t of taps) dx[t] += g / count;
        }
      }
    }
  }
  return Float32Array.from(dx);
}

/** dx (N, C, spatial...) = dy[n, c] / spatial size. */
export function globalAvgPoolGradRef(dy: Float32Array, xShape: number[]): Float32Array {
  const hw = sizeOf(xShape.slice(2));
  const dx = new Float32Array(sizeOf(xShape));
  for (let i = 0; i < dx.length; i++) dx[i] = dy[Math.floor(i / hw)]! / hw;
  return dx;
}

export interface BatchNormTrain64 {
  y: Float64Array;
  mean: Float64Array;
  invStd: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

/**
 * BatchNormalization training forward in float64 (for finite differences): batch mean and biased
 * variance per channel; running stats with the unbiased variance (PyTorch), ONNX's momentum.
 */
export function batchNormTrainForward64(
  x: ArrayLike<number>, xShape: readonly number[], gamma: ArrayLike<number>, beta: ArrayLike<number>,
  runningMean: ArrayLike<number>, runningVar: ArrayLike<number>, attrs: BatchNormTrainAttrs,
): BatchNormTrain64 {
  const [N, C] = xShape as [number, number];
  const S = sizeOf(xShape.slice(2));
  const M = N * S;
  const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
  const out: BatchNormTrain64 = {
    y: new Float64Array(N * C * S), mean: new Float64Array(C), invStd: new Float64Array(C),
    runningMean: new Float64Array(C), runningVar: new Float64Array(C),
  };
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += x[at(n, c, s)]!;
    const mean = sum / M;
    let sq = 0;
    for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sq += (x[at(n, c, s)]! - mean) ** 2;
    const variance = sq / M;
    const invStd = 1 / Math.sqrt(variance + attrs.epsilon);
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s);
        out.y[i] = gamma[c]! * (x[i]! - mean) * invStd + beta[c]!;
      }
    }
    out.mean[c] = mean;
    out.invStd[c] = invStd;
    const unbiased = M > 1 ? sq / (M - 1) : variance;
    out.runningMean[c] = attrs.momentum * runningMean[c]! + (1 - attrs.momentum) * mean;
    out.runningVar[c] = attrs.momentum * runningVar[c]! + (1 - attrs.momentum) * unbiased;
  }
  return out;
}

/** The f32 outputs of batchNormTrainForward: y, saved (2, C) = [mean; invStd], new running stats. */
export function batchNormTrainForwardRef(
  x: Float32Array, xShape: readonly number[], gamma: Float32Array, beta: Float32Array,
  runningMean: Float32Array, runningVar: Float32Array, attrs: BatchNormTrainAttrs,
): { y: Float32Array; saved: Float32Array; runningMean: Float32Array; runningVar: Float32Array } {
  const r = batchNormTrainForward64(x, xShape, gamma, beta, runningMean, runningVar, attrs);
  const saved = new Float32Array(2 * r.mean.length);
  saved.set(r.mean, 0);
  saved.set(r.invStd, r.mean.length);
  return { y: Float32Array.from(r.y), saved, runningMean: Float32Array.from(r.runningMean), runningVar: Float32Array.from(r.runningVar) };
}

/** BatchNorm training backward from saved (2, C) = [mean; invStd]: dx, dgamma, dbeta. */
export function batchNormTrainBackwardRef(
  x: Float32Array, xShape: readonly number[], dy: Float32Array, gamma: Float32Array, saved: Float32Array,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const [N, C] = xShape as [number, number];
  const S = sizeOf(xShape.slice(2));
  const M = N * S;
  const at = (n: number, c: number, s: number) => (n * C + c) * S + s;
  const dx = new Float32Array(N * C * S), dgamma = new Float32Array(C), dbeta = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const mean = saved[c]!, invStd = saved[C + c]!;
    let db = 0, dg = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s);
        db += dy[i]!;
        dg += dy[i]! * (x[i]! - mean) * invStd;
      }
    }
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(n, c, s);
        const xh = (x[i]! - mean) * invStd;
        dx[i] = gamma[c]! * invStd / M * (M * dy[i]! - db - xh * dg);
      }
    }
    dgamma[c] = dg;
    dbeta[c] = db;
  }
  return { dx, dgamma, dbeta };
}

/** dy summed over the axes where outShape (right-aligned) is 1 or missing; out has outShape. */
export function reduceToShapeRef(dy: Float32Array, dyShape: readonly number[], outShape: readonly number[]): Float32Array {
  const r = dyShape.length;
  const aligned = dyShape.map((_, d) => outShape[d - (r - outShape.length)] ?? 1);
  const outStrides = stridesOf(aligned);
  const dyStrides = stridesOf(dyShape);
  const out = new Float64Array(sizeOf(outShape));
  for (let i = 0; i < dy.length; i++) {
    let o = 0;
    for (let d = 0; d < r; d++) {
      const idx = Math.floor(i / dyStrides[d]!) % dyShape[d]!;
      if (aligned[d] !== 1) o += idx * outStrides[d]!;
    }
    out[o] += dy[i]!;
  }
  return Float32Array.from(out);
}
