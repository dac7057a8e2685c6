import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import type { GpuContext } from '../gpu/context';
import { applyActivation, type Activation, type GpuTensor } from './common';
import type { PoolAttrs } from './pool';
import { globalAvgPoolRef, pool2dRef } from './pool.ref';
import { binaryRef } from './binary.ref';
import {
  activationGrad, batchNormTrainBackward, batchNormTrainForward, globalAvgPoolGrad, pool2dGrad, reduceToShape,
  type BatchNormTrainAttrs,
} from './train-grads';
import {
  activationDerivative, activationGradRef, batchNormTrainBackwardRef, batchNormTrainForward64, batchNormTrainForwardRef,
  globalAvgPoolGradRef, pool2dGradRef, reduceToShapeRef,
} from './train-grads.ref';
import { runAndRead, tensorOf, testContext } from './testing';

/** An output buffer full of garbage, so a kernel that accumulates or skips elements is caught. */
function garbage(ctx: GpuContext, shape: number[], label = 'out'): GpuTensor {
  return tensorOf(ctx, new Float32Array(sizeOf(shape)).fill(1234.5), shape, label);
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  const r = compareClose(got, want, rtol, atol);
  expect(r.ok, `${what}: ${r.message}`).toBe(true);
}

/** Sum of a[i] * r[i] in float64: the scalar loss whose gradient with respect to a is r. */
function dot(a: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * r[i]!;
  return s;
}

/**
 * Central differences of loss(x) for every element of an f32 input; the step is the one f32
 * actually took (f32(x + eps) - f32(x - eps)), so rounding the input does not bias the slope.
 */
function fdGradF32(x: Float32Array, eps: number, loss: (x: Float32Array) => number): Float64Array {
  const g = new Float64Array(x.length);
  const xp = Float32Array.from(x);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    xp[i] = v + eps; const hi = xp[i]!; const lp = loss(xp);
    xp[i] = v - eps; const lo = xp[i]!; const lm = loss(xp);
    xp[i] = v;
    g[i] = (lp - lm) / (hi - lo);
  }
  return g;
}

/** Central differences in float64. */
function fdGrad64(x: ArrayLike<number>, eps: number, loss: (x: Float64Array) => number): Float64Array {
  const xp = Float64Array.from(x);
  const g = new Float64Array(xp.length);
  for (let i = 0; i < xp.length; i++) {
    const v = xp[i]!;
    xp[i] = v + eps; const lp = loss(xp);
    xp[i] = v - eps; const lm = loss(xp);
    xp[i] = v;
    g[i] = (lp - lm) / (2 * eps);
  }
  return g;
}

// ---------------------------------------------------------------------------------------------
describe('activationGrad (activation_grad.wgsl)', () => {
  const ACTS: { name: string; act: Activation; kinks: number[] }[] = [
    { name: 'relu', act: { kind: 'relu' }, kinks: [0] },
    { name: 'leakyRelu 0.1', act: { kind: 'leakyRelu', a: 0.1 }, kinks: [0] },
    { name: 'clip [-0.5, 0.75]', act: { kind: 'clip', a: -0.5, b: 0.75 }, kinks: [-0.5, 0.75] },
    { name: 'sigmoid', act: { kind: 'sigmoid' }, kinks: [] },
    { name: 'tanh', act: { kind: 'tanh' }, kinks: [] },
    { name: 'hardSigmoid (0.3, 0.4)', act: { kind: 'hardSigmoid', a: 0.3, b: 0.4 }, kinks: [-4 / 3, 2] },
    { name: 'hardSwish', act: { kind: 'hardSwish' }, kinks: [-3, 3] },
    { name: 'silu', act: { kind: 'silu' }, kinks: [] },
    { name: 'none', act: { kind: 'none' }, kinks: [] },
  ];
  for (const [idx, { name, act, kinks }] of ACTS.entries()) {
    it(`${name}: kernel matches the reference, the reference matches finite differences`, async () => {
      const ctx = await testContext();
      const n = 777;
      const x = randomFloats(n, 100 + idx, -5, 5);
      // Exact kink values (representable in f32): kernel and reference must pick the same side.
      const exact = [0, -3, 3, -0.5, 0.75];
      exact.forEach((v, i) => { x[i] = v; });
      const dy = randomFloats(n, 200 + idx, -1, 1);
      const xt = tensorOf(ctx, x, [n], 'x'), dyt = tensorOf(ctx, dy, [n], 'dy'), dxt = garbage(ctx, [n], 'dx');
      const got = await runAndRead(ctx, () => activationGrad(ctx, xt, dyt, dxt, act), dxt);
      const ref = activationGradRef(x, dy, act);
      expectClose(got, ref, 1e-5, 1e-7, 'kernel vs ref');
      for (const t of [xt, dyt, dxt]) ctx.release(t.buffer);

      // FD of the forward applyActivation (float64), away from kinks; L = sum(act(x) * dy).
      const eps = 1e-3;
      const xs = Array.from(x.slice(exact.length), (v) => (kinks.some((k) => Math.abs(v - k) < 0.01) ? v + 0.05 : v));
      const dys = dy.slice(exact.length);
      const fd = xs.map((v, i) => (applyActivation(v + eps, act) - applyActivation(v - eps, act)) / (2 * eps) * dys[i]!);
      const an = xs.map((v, i) => activationDerivative(v, act) * dys[i]!);
      expectClose(an, fd, 1e-2, 1e-6, 'ref vs finite differences');
    });
  }
});

// ---------------------------------------------------------------------------------------------
/** ONNX pooled size; with ceil_mode the last window must still start inside the input or left padding. */
function outSize(i: number, k: number, s: number, d: number, p0: number, p1: number, ceil: boolean): number {
  const span = i + p0 + p1 - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= i + p0) o--;
  return o;
}

interface PoolCase {
  name: string;
  x: [number, number, number, number];
  kind: 'max' | 'avg';
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  countIncludePad?: boolean;
  ceil?: boolean;
  /** Values from {-1, 0, 1}: many ties, to check the first-maximum rule (kernel vs ref only). */
  ties?: boolean;
  /** Too large for finite differences: kernel vs ref only. */
  noFd?: boolean;
}

const POOL_CASES: PoolCase[] = [
  { name: 'max 2x2 stride 2', kind: 'max', x: [1, 2, 6, 6], k: [2, 2], strides: [2, 2] },
  // Windows that tile the input run one invocation per window; with ties, and 3x2 tiles at N = 3.
  { name: 'max 2x2 stride 2 tiling, with ties', kind: 'max', x: [2, 3, 8, 6], k: [2, 2], strides: [2, 2], ties: true },
  { name: 'max 3x2 stride (3,2) tiling', kind: 'max', x: [3, 2, 9, 8], k: [3, 2], strides: [3, 2] },
  { name: 'max 2x2 stride 2 on 7x7 (a row and column no window covers: gather path)', kind: 'max', x: [1, 2, 7, 7], k: [2, 2], strides: [2, 2] },
  { name: 'max 3x3 stride 2 pad 1 (overlapping windows)', kind: 'max', x: [2, 2, 7, 7], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'max ceil_mode, window past the end', kind: 'max', x: [1, 2, 7, 7], k: [2, 2], strides: [2, 2], ceil: true },
  { name: 'max ceil_mode, asymmetric pads, dilation 2', kind: 'max', x: [1, 2, 9, 8], k: [3, 3], strides: [2, 2], pads: [1, 2, 0, 1], dilations: [2, 2], ceil: true },
  { name: 'max 3x3 stride 1 pad 1 with ties', kind: 'max', x: [1, 3, 6, 7], k: [3, 3], pads: [1, 1, 1, 1], ties: true },
  { name: 'avg exclude pad 3x3 pad 1', kind: 'avg', x: [1, 2, 5, 6], k: [3, 3], pads: [1, 1, 1, 1] },
  { name: 'avg include pad 3x3 stride 2 pad 1', kind: 'avg', x: [1, 2, 7, 8], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true },
  { name: 'avg include pad, ceil_mode past padded end', kind: 'avg', x: [1, 2, 7, 8], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true, ceil: true },
  { name: 'avg exclude pad, ceil_mode, stride (2,3), dilation 2', kind: 'avg', x: [2, 1, 9, 10], k: [3, 2], strides: [2, 3], pads: [2, 0, 1, 1], dilations: [2, 2], ceil: true },
  // 4.2M dx elements > 65535 workgroups of 64: the y-folded grid.
  { name: 'avg 1x1, large dispatch folds into y', kind: 'avg', x: [1, 1, 2049, 2049], k: [1, 1], noFd: true },
];

/** Distinct values 0.05 apart in random order, so a +-0.01 step never changes a window's argmax. */
function distinctValues(n: number, seed: number): Float32Array {
  const keys = randomFloats(n, seed);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]!);
  const x = new Float32Array(n);
  order.forEach((i, rank) => { x[i] = (rank - n / 2) * 0.05 + 0.01; });
  return x;
}

describe('pool2dGrad and globalAvgPoolGrad (pool2d_grad.wgsl)', () => {
  for (const [idx, c] of POOL_CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const a: PoolAttrs = {
        kind: c.kind, kernel: c.k, strides: c.strides ?? [1, 1], pads: c.pads ?? [0, 0, 0, 0],
        dilations: c.dilations ?? [1, 1], countIncludePad: c.countIncludePad ?? false,
      };
      const [N, C, H, W] = c.x;
      const yShape = [N, C,
        outSize(H, a.kernel[0], a.strides[0], a.dilations[0], a.pads[0], a.pads[2], c.ceil ?? false),
        outSize(W, a.kernel[1], a.strides[1], a.dilations[1], a.pads[1], a.pads[3], c.ceil ?? false)];
      const n = sizeOf(c.x);
      const x = c.ties
        ? randomFloats(n, 300 + idx).map((v) => Math.round(v))
        : c.kind === 'max' ? distinctValues(n, 300 + idx) : randomFloats(n, 300 + idx);
      const dy = randomFloats(sizeOf(yShape), 400 + idx);
      const xt = tensorOf(ctx, x, c.x, 'x'), dyt = tensorOf(ctx, dy, yShape, 'dy'), dxt = garbage(ctx, c.x, 'dx');
      const got = await runAndRead(ctx, () => pool2dGrad(ctx, xt, dyt, dxt, a), dxt);
      const ref = pool2dGradRef(x, c.x, dy, yShape, a);
      expectClose(got, ref, 1e-5, 1e-6, 'kernel vs ref');
      for (const t of [xt, dyt, dxt]) ctx.release(t.buffer);
      if (c.ties) {
        // Each window sends its whole dy somewhere: the gradient's total is sum(dy) over windows with a real element.
        expect(Math.abs(ref.reduce((s, v) => s + v, 0) - dy.reduce((s, v) => s + v, 0))).toBeLessThan(1e-4);
      }
      if (c.ties || c.noFd) return;
      // L = sum(pool2dRef(x) * dy); dL/dx by central differences of the forward reference.
      const eps = c.kind === 'max' ? 0.01 : 0.05; // max: below half the 0.05 spacing; avg is linear
      const fd = fdGradF32(x, eps, (xp) => dot(pool2dRef(xp, c.x, a, yShape), dy));
      expectClose(ref, fd, 1e-2, 1e-4, 'ref vs finite differences');
      if (c.kind === 'max') expect(ref.filter((v) => v !== 0).length).toBeGreaterThan(0);
    });
  }

  it('globalAvgPoolGrad: kernel vs ref (4-D and 3-D) and ref vs finite differences', async () => {
    const ctx = await testContext();
    for (const [k, xShape] of ([[2, 3, 4, 5], [2, 3, 7], [1, 2, 20, 21]] as number[][]).entries()) {
      const N = xShape[0]!, C = xShape[1]!;
      const dy = randomFloats(N * C, 500 + k);
      const dyt = tensorOf(ctx, dy, [N, C, 1, 1], 'dy'), dxt = garbage(ctx, xShape, 'dx');
      const got = await runAndRead(ctx, () => globalAvgPoolGrad(ctx, dyt, dxt), dxt);
      const ref = globalAvgPoolGradRef(dy, xShape);
      expectClose(got, ref, 1e-6, 0, `kernel vs ref ${xShape}`);
      for (const t of [dyt, dxt]) ctx.release(t.buffer);
      if (xShape.length === 4 && sizeOf(xShape) < 200) {
        const x = randomFloats(sizeOf(xShape), 600 + k);
        const fd = fdGradF32(x, 0.05, (xp) => dot(globalAvgPoolRef(xp, xShape), dy));
        expectClose(ref, fd, 1e-2, 1e-5, 'ref vs finite differences');
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('BatchNormalization training (batchnorm_train.wgsl, batchnorm_grad.wgsl)', () => {
  const attrs: BatchNormTrainAttrs = { epsilon: 1e-5, momentum: 0.9 };

  async function runForward(ctx: GpuContext, x: Float32Array, xShape: number[], gamma: Float32Array, beta: Float32Array,
    rm: Float32Array, rv: Float32Array, at: BatchNormTrainAttrs) {
    const C = xShape[1]!;
    const xt = tensorOf(ctx, x, xShape, 'x'), gt = tensorOf(ctx, gamma, [C], 'gamma'), bt = tensorOf(ctx, beta, [C], 'beta');
    const rmt = tensorOf(ctx, rm, [C], 'runningMean'), rvt = tensorOf(ctx, rv, [C], 'runningVar');
    const yt = garbage(ctx, xShape, 'y'), st = garbage(ctx, [2, C], 'saved');
    const y = await runAndRead(ctx, () => batchNormTrainForward(ctx, xt, gt, bt, yt, st, rmt, rvt, at), yt);
    const out = { y, saved: await ctx.readF32(st.buffer, 2 * C), runningMean: await ctx.readF32(rmt.buffer, C), runningVar: await ctx.readF32(rvt.buffer, C) };
    for (const t of [xt, gt, bt, rmt, rvt, yt, st]) ctx.release(t.buffer);
    return out;
  }

  it('forward on a hand-computed batch: mean, biased variance, unbiased running variance', async () => {
    const ctx = await testContext();
    // x = 1, 2, 3, 4 in one channel: mean 2.5, biased var 1.25, unbiased 5/3.
    const got = await runForward(ctx, new Float32Array([1, 2, 3, 4]), [4, 1], new Float32Array([2]), new Float32Array([0.5]),
      new Float32Array([1]), new Float32Array([2]), { epsilon: 0, momentum: 0.9 });
    const inv = 1 / Math.sqrt(1.25);
    expectClose(got.y, [1, 2, 3, 4].map((v) => 2 * (v - 2.5) * inv + 0.5), 1e-6, 1e-6, 'y');
    expectClose(got.saved, [2.5, inv], 1e-6, 0, 'saved');
    expectClose(got.runningMean, [0.9 * 1 + 0.1 * 2.5], 1e-6, 0, 'runningMean');
    expectClose(got.runningVar, [0.9 * 2 + 0.1 * (5 / 3)], 1e-6, 0, 'runningVar');
  });

  const BN_SHAPES: { name: string; x: number[]; fd: boolean }[] = [
    { name: 'NCHW (2, 3, 3, 4)', x: [2, 3, 3, 4], fd: true },
    { name: '(N, C) = (6, 4)', x: [6, 4], fd: true },
    { name: 'NCHW (3, 2, 10, 11): more values per channel than threads', x: [3, 2, 10, 11], fd: false },
  ];
  for (const [idx, s] of BN_SHAPES.entries()) {
    it(`${s.name}: forward and backward kernels vs refs, refs vs finite differences`, async () => {
      const ctx = await testContext();
      const C = s.x[1]!, n = sizeOf(s.x);
      // An offset and scale per element so the statistics are not trivially 0 and 1.
      const x = randomFloats(n, 700 + idx, -1, 1).map((v, i) => 1.5 * v + 0.3 * ((i >> 2) % 3));
      const gamma = randomFloats(C, 710 + idx, 0.5, 1.5), beta = randomFloats(C, 720 + idx);
      const rm = randomFloats(C, 730 + idx), rv = randomFloats(C, 740 + idx, 0.5, 2);
      const dy = randomFloats(n, 750 + idx);

      const fwd = await runForward(ctx, x, s.x, gamma, beta, rm, rv, attrs);
      const fref = batchNormTrainForwardRef(x, s.x, gamma, beta, rm, rv, attrs);
      expectClose(fwd.y, fref.y, 1e-5, 1e-5, 'y');
      expectClose(fwd.saved, fref.saved, 1e-5, 1e-6, 'saved');
      expectClose(fwd.runningMean, fref.runningMean, 1e-5, 1e-6, 'runningMean');
      expectClose(fwd.runningVar, fref.runningVar, 1e-5, 1e-6, 'runningVar');

      const xt = tensorOf(ctx, x, s.x, 'x'), dyt = tensorOf(ctx, dy, s.x, 'dy'), gt = tensorOf(ctx, gamma, [C], 'gamma');
      const st = tensorOf(ctx, fref.saved, [2, C], 'saved');
      const dxt = garbage(ctx, s.x, 'dx'), dgt = garbage(ctx, [C], 'dgamma'), dbt = garbage(ctx, [C], 'dbeta');
      const dx = await runAndRead(ctx, () => batchNormTrainBackward(ctx, xt, dyt, gt, st, dxt, dgt, dbt), dxt);
      const dgamma = await ctx.readF32(dgt.buffer, C), dbeta = await ctx.readF32(dbt.buffer, C);
      for (const t of [xt, dyt, gt, st, dxt, dgt, dbt]) ctx.release(t.buffer);
      const bref = batchNormTrainBackwardRef(x, s.x, dy, gamma, fref.saved);
      // dx = k (M dy - dbeta - xh dgamma) cancels; the absolute floor is a few f32 ulps of its terms.
      expectClose(dx, bref.dx, 1e-4, 2e-6, 'dx');
      expectClose(dgamma, bref.dgamma, 1e-5, 1e-5, 'dgamma');
      expectClose(dbeta, bref.dbeta, 1e-5, 1e-5, 'dbeta');
      if (!s.fd) return;

      // L = sum(y * dy) with y from the float64 forward reference: the batch mean and variance move
      // with x, so dx's FD includes their paths.
      const eps = 1e-3;
      const fdX = fdGrad64(x, eps, (xp) => dot(batchNormTrainForward64(xp, s.x, gamma, beta, rm, rv, attrs).y, dy));
      const fdG = fdGrad64(gamma, eps, (gp) => dot(batchNormTrainForward64(x, s.x, gp, beta, rm, rv, attrs).y, dy));
      const fdB = fdGrad64(beta, eps, (bp) => dot(batchNormTrainForward64(x, s.x, gamma, bp, rm, rv, attrs).y, dy));
      expectClose(bref.dx, fdX, 1e-2, 1e-5, 'dx vs finite differences');
      expectClose(bref.dgamma, fdG, 1e-2, 1e-5, 'dgamma vs finite differences');
      expectClose(bref.dbeta, fdB, 1e-2, 1e-5, 'dbeta vs finite differences');
      // The mean/variance paths matter: gamma * invStd * dy alone is far from the FD.
      const S = sizeOf(s.x.slice(2));
      const naive = dy.map((g, i) => { const ch = Math.floor(i / S) % C; return gamma[ch]! * fref.saved[C + ch]! * g; });
      expect(compareClose(naive, fdX, 1e-2, 1e-5).ok).toBe(false);
    });
  }
});

// ---------------------------------------------------------------------------------------------
describe('reduceToShape (reduce_to_shape.wgsl)', () => {
  const CASES: { dy: number[]; out: number[] }[] = [
    { dy: [2, 3, 4, 5], out: [3, 1, 5] },
    { dy: [2, 3, 4, 5], out: [1] },
    { dy: [2, 3, 4, 5], out: [] },
    { dy: [2, 3, 4, 5], out: [4, 1] },
    { dy: [2, 3, 4, 5], out: [2, 1, 4, 1] },
    { dy: [2, 3, 4, 5], out: [2, 3, 4, 5] },
    { dy: [2, 1, 3, 2, 2, 3], out: [3, 1, 1, 3] },
    { dy: [2, 1, 3, 2, 2, 3], out: [2, 1, 1, 2, 2, 1] },
  ];
  for (const [idx, c] of CASES.entries()) {
    it(`(${c.dy}) -> (${c.out}): kernel vs ref, ref vs finite differences of broadcast Add and Mul`, async () => {
      const ctx = await testContext();
      const dy = randomFloats(sizeOf(c.dy), 800 + idx);
      const dyt = tensorOf(ctx, dy, c.dy, 'dy'), outt = garbage(ctx, c.out, 'out');
      const got = await runAndRead(ctx, () => reduceToShape(ctx, dyt, outt), outt);
      const ref = reduceToShapeRef(dy, c.dy, c.out);
      expectClose(got, ref, 1e-5, 1e-6, 'kernel vs ref');
      for (const t of [dyt, outt]) ctx.release(t.buffer);

      // z = a + b (b of out's shape broadcast to dy's); L = sum(z * dy), so dL/db = reduceToShape(dy).
      const a = randomFloats(sizeOf(c.dy), 900 + idx), b = randomFloats(sizeOf(c.out), 910 + idx);
      const fdAdd = fdGradF32(b, 0.05, (bp) => dot(binaryRef('add', a, c.dy, bp, c.out), dy));
      expectClose(ref, fdAdd, 1e-2, 1e-5, 'Add: ref vs finite differences');
      // z = a * b: dL/db = reduceToShape(dy * a).
      const fdMul = fdGradF32(b, 0.05, (bp) => dot(binaryRef('mul', a, c.dy, bp, c.out), dy));
      expectClose(reduceToShapeRef(dy.map((g, i) => g * a[i]!), c.dy, c.out), fdMul, 1e-2, 1e-5, 'Mul: ref vs finite differences');
    });
  }
});
