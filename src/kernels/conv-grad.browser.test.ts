import { describe, expect, it } from 'vitest';
import { makeRng, randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { channelSum, conv2dGradInput, conv2dGradWeight, type ConvGradAttrs } from './conv-grad';
import { channelSumRef, conv2dGradInputRef, conv2dGradWeightRef } from './conv-grad.ref';
import { conv2dRef } from './conv.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

interface Case {
  name: string;
  x: [number, number, number, number]; // (N, C, H, W)
  m: number; // output channels
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  /** Skip the finite-difference check (a shape too large for the CPU loops). */
  noFd?: boolean;
}

// Channel counts per group cover 1 (the kernels' scalar variant), 2, 3 and 4+2 (the vec4 variant
// with spare lanes) on both the input side (dx) and the output side (dw).
const CASES: Case[] = [
  { name: 'group 1, 3x3 pad 1', x: [2, 3, 7, 6], m: 4, k: [3, 3], pads: [1, 1, 1, 1] },
  { name: 'groups 2', x: [1, 6, 8, 7], m: 4, k: [3, 3], group: 2, pads: [1, 1, 1, 1] },
  { name: 'depthwise', x: [1, 5, 7, 8], m: 5, k: [3, 3], group: 5, pads: [1, 1, 1, 1] },
  { name: 'depthwise multiplier 2, stride 2', x: [2, 3, 9, 8], m: 6, k: [3, 3], group: 3, strides: [2, 2], pads: [0, 0, 1, 1] },
  { name: 'stride 2, odd sizes', x: [1, 3, 9, 8], m: 4, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'stride (3,2) wider than the kernel (inputs no tap reads)', x: [1, 2, 10, 9], m: 3, k: [2, 1], strides: [3, 2] },
  { name: 'asymmetric pads', x: [1, 3, 7, 8], m: 4, k: [3, 2], pads: [2, 0, 1, 3] },
  { name: 'dilation 2', x: [1, 2, 9, 8], m: 3, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'dilation (2,3), stride 2, pads larger than the kernel reach', x: [1, 2, 8, 9], m: 2, k: [2, 3], dilations: [2, 3], strides: [2, 2], pads: [3, 1, 0, 2] },
  { name: '1x1', x: [1, 5, 6, 7], m: 6, k: [1, 1] },
  { name: 'N=3', x: [3, 3, 6, 5], m: 5, k: [3, 3], pads: [1, 1, 1, 1] },
  { name: 'many filters, groups 2, stride 2, asymmetric pads, dilation 2', x: [2, 8, 9, 10], m: 32, k: [3, 3], strides: [2, 2], pads: [1, 2, 2, 0], dilations: [2, 2], group: 2 },
  { name: 'LeNet conv1 (N 8, C 1, 28x28, M 6, 5x5 pad 2)', x: [8, 1, 28, 28], m: 6, k: [5, 5], pads: [2, 2, 2, 2] },
  { name: 'LeNet conv2 (N 8, C 6, 14x14, M 16, 5x5)', x: [8, 6, 14, 14], m: 16, k: [5, 5] },
  // 4.2M dx elements > 65535 workgroups of 64: checks conv2dGradInput's y-folded grid.
  { name: 'large dx folds into y', x: [1, 1, 2049, 2049], m: 1, k: [1, 1], noFd: true },
];

function outSize(i: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((i + p0 + p1 - d * (k - 1) - 1) / s) + 1;
}

function setup(c: Case) {
  const [N, C, H, W] = c.x;
  const group = c.group ?? 1;
  const attrs: ConvGradAttrs = {
    strides: c.strides ?? [1, 1], pads: c.pads ?? [0, 0, 0, 0], dilations: c.dilations ?? [1, 1], group,
  };
  const wShape = [c.m, C / group, c.k[0], c.k[1]];
  const yShape = [N, c.m,
    outSize(H, c.k[0], attrs.strides[0], attrs.dilations[0], attrs.pads[0], attrs.pads[2]),
    outSize(W, c.k[1], attrs.strides[1], attrs.dilations[1], attrs.pads[1], attrs.pads[3])];
  return { attrs, wShape, yShape };
}

/** Output buffers start full of junk, so a kernel that accumulated instead of writing would fail. */
function junkTensor(ctx: Awaited<ReturnType<typeof testContext>>, shape: number[], label: string) {
  return tensorOf(ctx, new Float32Array(sizeOf(shape)).fill(1e3), shape, label);
}

/**
 * Worst per-element error of `grad` against central differences of L(v) at `indices`. L is linear
 * in each argument of Conv, so the difference quotient has no truncation error and eps only has to
 * be large enough that f32 rounding of y stays small beside it. Errors are relative to the larger
 * of the two values, floored at 1e-2 of the gradient's largest magnitude (a value that cancels to
 * near zero has no meaningful relative error).
 */
function fdWorst(v: Float32Array, grad: Float32Array, indices: number[], loss: (v: Float32Array) => number): number {
  const eps = 1e-2;
  let scale = 0;
  for (const g of grad) scale = Math.max(scale, Math.abs(g));
  let worst = 0;
  for (const i of indices) {
    const p = v.slice(); p[i] = v[i]! + eps;
    const m = v.slice(); m[i] = v[i]! - eps;
    const fd = (loss(p) - loss(m)) / (p[i]! - m[i]!); // the steps as rounded to f32
    const g = grad[i]!;
    worst = Math.max(worst, Math.abs(fd - g) / Math.max(Math.abs(fd), Math.abs(g), 1e-2 * scale));
  }
  expect(scale).toBeGreaterThan(0);
  return worst;
}

/** The first and last index and `count` more drawn from `seed` (all of them when there are few). */
function sample(n: number, count: number, seed: number): number[] {
  if (n <= count + 2) return [...Array(n).keys()];
  const r = makeRng(seed);
  const out = new Set([0, n - 1]);
  while (out.size < count + 2) out.add(Math.floor(r() * n));
  return [...out];
}

describe('conv2d backward kernels (conv2d_grad_input.wgsl, conv2d_grad_weight.wgsl, channel_sum.wgsl)', () => {
  for (const [idx, c] of CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const { attrs, wShape, yShape } = setup(c);
      const [N, , OH, OW] = yShape as [number, number, number, number];
      const x = randomFloats(sizeOf(c.x), 100 + idx);
      const w = randomFloats(sizeOf(wShape), 200 + idx);
      const r = randomFloats(sizeOf(yShape), 300 + idx); // dL/dy for L = sum(y * r)
      const layout = { N, C: c.m, S: OH * OW };
      const gx = conv2dGradInputRef(r, yShape, w, wShape, attrs, c.x);
      const gw = conv2dGradWeightRef(x, c.x, r, yShape, attrs, wShape);
      const gb = channelSumRef(r, layout);

      const xt = tensorOf(ctx, x, c.x, 'x');
      const wt = tensorOf(ctx, w, wShape, 'w');
      const dyt = tensorOf(ctx, r, yShape, 'dy');
      const dxt = junkTensor(ctx, c.x, 'dx');
      const dwt = junkTensor(ctx, wShape, 'dw');
      const dbt = junkTensor(ctx, [c.m], 'db');
      const dx = await runAndRead(ctx, () => conv2dGradInput(ctx, dyt, wt, dxt, attrs), dxt);
      const dw = await runAndRead(ctx, () => conv2dGradWeight(ctx, xt, dyt, dwt, attrs), dwt);
      const db = await runAndRead(ctx, () => channelSum(ctx, dyt, dbt, layout), dbt);
      // f32 sums on the GPU against float64 ones: rounding grows like sqrt(terms) ulps of the partial sums.
      const checks: [string, Float32Array, Float32Array, number][] = [
        ['dx', dx, gx, c.m / (c.group ?? 1) * c.k[0] * c.k[1]],
        ['dw', dw, gw, N * OH * OW],
        ['db', db, gb, N * OH * OW],
      ];
      for (const [what, got, want, terms] of checks) {
        const cmp = compareClose(got, want, 1e-5, 2e-6 * Math.sqrt(terms));
        expect(cmp.ok, `${what}: ${cmp.message}`).toBe(true);
      }
      for (const t of [xt, wt, dyt, dxt, dwt, dbt]) ctx.release(t.buffer);

      if (c.noFd) return;
      const b = randomFloats(c.m, 400 + idx);
      const fwd = { ...attrs, act: { kind: 'none' as const } };
      const loss = (xv: Float32Array, wv: Float32Array, bv: Float32Array) => {
        const y = conv2dRef(xv, c.x, wv, wShape, bv, fwd, yShape);
        let s = 0;
        for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
        return s;
      };
      const fdX = fdWorst(x, gx, sample(x.length, 12, 500 + idx), (v) => loss(v, w, b));
      const fdW = fdWorst(w, gw, sample(w.length, 12, 600 + idx), (v) => loss(x, v, b));
      const fdB = fdWorst(b, gb, sample(b.length, 16, 700 + idx), (v) => loss(x, w, v));
      expect(fdX, 'dx vs finite differences').toBeLessThanOrEqual(1e-2);
      expect(fdW, 'dw vs finite differences').toBeLessThanOrEqual(1e-2);
      expect(fdB, 'db vs finite differences').toBeLessThanOrEqual(1e-2);
    });
  }

  const SUMS: { name: string; N: number; C: number; S: number }[] = [
    { name: 'Gemm bias (S = 1, a thread per column)', N: 16, C: 10, S: 1 },
    { name: 'Gemm bias, many rows (a workgroup per column)', N: 200, C: 7, S: 1 },
    { name: 'Conv bias, S not dividing the workgroup', N: 3, C: 5, S: 37 },
    { name: 'Conv bias, S larger than the workgroup', N: 2, C: 3, S: 150 },
    { name: 'N = 0 gives zeros', N: 0, C: 4, S: 9 },
    // 66000 channels > 65535 workgroups: checks the y-folded grid.
    { name: 'many channels fold into y', N: 1, C: 66000, S: 65 },
  ];
  for (const [idx, s] of SUMS.entries()) {
    it(`channelSum: ${s.name}`, async () => {
      const ctx = await testContext();
      const dy = randomFloats(s.N * s.C * s.S, 800 + idx);
      const dyt = tensorOf(ctx, dy, [s.N, s.C, s.S], 'dy');
      const dbt = junkTensor(ctx, [s.C], 'db');
      const got = await runAndRead(ctx, () => channelSum(ctx, dyt, dbt, s), dbt);
      const want = channelSumRef(dy, s);
      const cmp = compareClose(got, want, 1e-5, 2e-6 * Math.sqrt(s.N * s.S));
      expect(cmp.ok, cmp.message).toBe(true);
      if (s.N === 0) expect([...got]).toEqual(new Array(s.C).fill(0));
      ctx.release(dyt.buffer); ctx.release(dbt.buffer);
    });
  }

  it('channelSumRef sums over n and s per channel', () => {
    // dy (2, 2, 3): channel 0 holds 1..3 and 7..9, channel 1 holds 4..6 and 10..12.
    const dy = Float32Array.from({ length: 12 }, (_, i) => i + 1);
    expect([...channelSumRef(dy, { N: 2, C: 2, S: 3 })]).toEqual([1 + 2 + 3 + 7 + 8 + 9, 4 + 5 + 6 + 10 + 11 + 12]);
  });

  it('compiles one pipeline per kernel variant, never per size', async () => {
    const ctx = await testContext();
    const keys = ctx.pipelineKeys();
    expect(keys.filter((k) => k.startsWith('conv2dGradInput|')).sort())
      .toEqual(['conv2dGradInput|WG=64,WIDE=0', 'conv2dGradInput|WG=64,WIDE=1']);
    expect(keys.filter((k) => k.startsWith('conv2dGradWeight|')).sort())
      .toEqual(['conv2dGradWeight|CB=1,WG=64,WIDE=0', 'conv2dGradWeight|CB=1,WG=64,WIDE=1', 'conv2dGradWeight|CB=4,WG=64,WIDE=1']);
    expect(keys.filter((k) => k.startsWith('channelSum|')).sort())
      .toEqual(['channelSum|PER_THREAD=0,WG=64', 'channelSum|PER_THREAD=1,WG=64']);
  });

  it('rejects weights that do not fit the group, and dy of the wrong size', async () => {
    const ctx = await testContext();
    const attrs: ConvGradAttrs = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 2 };
    const x = emptyTensor(ctx, [1, 6, 4, 4]);
    const dy = emptyTensor(ctx, [1, 4, 2, 2]);
    expect(() => conv2dGradInput(ctx, dy, emptyTensor(ctx, [4, 4, 3, 3]), x, attrs)).toThrow(/group 2/);
    expect(() => conv2dGradWeight(ctx, x, dy, emptyTensor(ctx, [4, 3, 2, 2]), attrs)).toThrow(/should be 3x3/);
    expect(() => channelSum(ctx, dy, emptyTensor(ctx, [4]), { N: 1, C: 4, S: 3 })).toThrow(/N\*C\*S/);
  });
});
