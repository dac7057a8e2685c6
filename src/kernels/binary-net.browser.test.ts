import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { binarizeWeights, uploadBinaryWeights, xnorScratchBytes } from './binary-net';
import { xnorMatmulRef, xnorConv2dRef } from './binary-net.ref';
import { xnorMatmul } from './xnor-matmul';
import { convOutSize, xnorConv2d, type XnorConvAttrs } from './xnor-conv';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Activation } from './common';

/** Random values with exact zeros (sign(0) = +1) and negative zeros sprinkled in. */
function values(n: number, seed: number): Float32Array {
  const v = randomFloats(n, seed);
  for (let i = 0; i < n; i += 7) v[i] = 0;
  for (let i = 3; i < n; i += 11) v[i] = -0;
  return v;
}

/** Weights of exactly +-1 (and 0 -> +1 would break alpha = 1, so none): then y = the integer dot. */
function signs(n: number, seed: number): Float32Array {
  return randomFloats(n, seed).map((v) => (v >= 0 ? 1 : -1));
}

/** Bit-exact for the piecewise-linear activations; sigmoid/tanh use the GPU's exp/tanh, a few ulp off. */
function expectMatch(got: Float32Array, want: Float32Array, act: Activation): void {
  if (act.kind === 'sigmoid' || act.kind === 'tanh') {
    const r = compareClose(got, want, 2e-6, 1e-7);
    expect(r.ok, r.message).toBe(true);
    return;
  }
  expect(got.length).toBe(want.length);
  const bad: number[] = [];
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) bad.push(i);
  const first = bad[0] ?? 0;
  expect(bad.length, `${bad.length} mismatches; first at ${first}: got ${got[first]}, want ${want[first]}`).toBe(0);
}

interface MatmulCase { name: string; M: number; K: number; N: number; scale: boolean; bias?: boolean; act?: Activation; pm1?: boolean }

const MATMUL: MatmulCase[] = [
  { name: 'K = 1', M: 3, K: 1, N: 4, scale: true, bias: true },
  { name: 'K = 5, M = 1, relu', M: 1, K: 5, N: 7, scale: false, act: { kind: 'relu' } },
  { name: 'K = 31, N = 1, leakyRelu', M: 6, K: 31, N: 1, scale: true, bias: true, act: { kind: 'leakyRelu', a: 0.1 } },
  { name: 'K = 33, clip', M: 5, K: 33, N: 9, scale: true, act: { kind: 'clip', a: -0.3, b: 0.4 } },
  { name: 'K = 100, sigmoid', M: 7, K: 100, N: 3, scale: false, bias: true, act: { kind: 'sigmoid' } },
  { name: 'K = 785 (MNIST), bias', M: 2, K: 785, N: 10, scale: true, bias: true },
  { name: 'K = 785, M = N = 1, tanh', M: 1, K: 785, N: 1, scale: true, act: { kind: 'tanh' } },
  { name: 'several tiles and K steps 70x300x67, relu', M: 70, K: 300, N: 67, scale: true, bias: true, act: { kind: 'relu' } },
  { name: '64 lanes, 2 words each: K = 2100', M: 3, K: 2100, N: 5, scale: true, bias: true },
  { name: 'integer dot: +-1 weights, no beta', M: 9, K: 100, N: 6, scale: false, pm1: true },
];

interface ConvCase {
  name: string;
  x: [number, number, number, number]; // (N, C, H, W)
  m: number;
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  group?: number;
  scale?: boolean; // default true
  bias?: boolean;
  act?: Activation;
  pm1?: boolean;
}

const CONV: ConvCase[] = [
  { name: '1x1', x: [1, 5, 7, 9], m: 6, k: [1, 1] },
  { name: '3x3 pad 1, bias, relu', x: [1, 3, 11, 10], m: 8, k: [3, 3], pads: [1, 1, 1, 1], bias: true, act: { kind: 'relu' } },
  { name: '3x3 pad 1, K = 144 over 5 words', x: [1, 16, 6, 5], m: 4, k: [3, 3], pads: [1, 1, 1, 1], bias: true },
  { name: '5x5 no pad (LeNet conv2)', x: [1, 6, 14, 14], m: 16, k: [5, 5], bias: true },
  { name: '5x5 pad 2, no beta', x: [1, 2, 7, 6], m: 3, k: [5, 5], pads: [2, 2, 2, 2], scale: false },
  { name: 'stride 2, odd sizes', x: [1, 3, 13, 9], m: 5, k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { name: 'dilation 2', x: [1, 4, 12, 11], m: 7, k: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'groups 2', x: [1, 6, 8, 7], m: 10, k: [3, 3], group: 2, pads: [1, 1, 1, 1], bias: true },
  { name: 'depthwise, clip', x: [1, 7, 9, 8], m: 7, k: [3, 3], group: 7, pads: [1, 1, 1, 1], bias: true, act: { kind: 'clip', a: 0, b: 6 } },
  { name: 'depthwise x2, stride 2, asymmetric pads', x: [1, 5, 10, 9], m: 10, k: [3, 3], group: 5, strides: [2, 2], pads: [0, 2, 1, 1] },
  { name: 'N = 3, groups 3, leakyRelu', x: [3, 6, 6, 5], m: 9, k: [3, 3], group: 3, pads: [1, 1, 1, 1], act: { kind: 'leakyRelu', a: 0.2 } },
  { name: 'pads past the kernel: all-padding patches give 0', x: [1, 2, 3, 3], m: 3, k: [2, 2], pads: [3, 3, 3, 2], bias: true },
  { name: 'integer dot with padding: +-1 weights, no beta', x: [2, 3, 6, 7], m: 4, k: [3, 3], pads: [1, 2, 1, 0], scale: false, pm1: true },
];

const actOf = (a?: Activation): Activation => a ?? { kind: 'none' };

describe('binarizeWeights (host side of binarize_pack.wgsl and xnor_matmul.wgsl)', () => {
  it('packs sign(0) = +1, leaves the tail past K zero and takes alpha = mean |W|', () => {
    const K = 33;
    const w = new Float32Array(2 * K).map((_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? -0.5 : 0.25));
    w[K] = -0; // -0 is a zero too: bit 1
    const { bits, K32, alpha } = binarizeWeights(w, 2, K);
    expect(K32).toBe(2);
    for (let n = 0; n < 2; n++) {
      for (let k = 0; k < 64; k++) {
        const bit = (bits[n * K32 + (k >> 5)]! >>> (k & 31)) & 1;
        expect(bit, `n=${n} k=${k}`).toBe(k < K && w[n * K + k]! >= 0 ? 1 : 0);
      }
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.abs(w[n * K + k]!);
      expect(alpha[n]).toBe(Math.fround(s / K));
    }
  });
});

// Both forms of the kernels on every adapter ('auto' picks one of them by adapter): 'tiled' is
// binarize_pack.wgsl + xnor_matmul.wgsl, 'reg' binarize_pack_rows.wgsl + xnor_matmul_reg.wgsl; each
// pack is composed with xnor_pack_common.wgsl, each GEMM with xnor_gemm_io.wgsl.
const FORMS = ['tiled', 'reg'] as const;
const FORM_FILES = {
  tiled: 'binarize_pack.wgsl + xnor_matmul.wgsl',
  reg: 'binarize_pack_rows.wgsl + xnor_matmul_reg.wgsl',
} as const;

describe.each(FORMS.map((f) => [f, FORM_FILES[f]] as const))('xnorMatmul vs reference (bit-exact), %s kernels: %s with xnor_pack_common.wgsl, xnor_gemm_io.wgsl', (gemm) => {
  MATMUL.forEach((c, i) => {
    it(`${c.name} (${c.scale ? 'beta' : 'no beta'}${c.bias ? ', bias' : ''})`, async () => {
      const ctx = await testContext();
      const act = actOf(c.act);
      const x = values(c.M * c.K, 10 + i);
      const w = c.pm1 ? signs(c.N * c.K, 40 + i) : values(c.N * c.K, 40 + i);
      const bias = c.bias ? randomFloats(c.N, 70 + i) : null;
      const xt = tensorOf(ctx, x, [c.M, c.K], 'x');
      const wt = uploadBinaryWeights(ctx, 'w', w, [c.N, c.K]);
      const bt = bias ? tensorOf(ctx, bias, [c.N], 'bias') : null;
      const yt = emptyTensor(ctx, [c.M, c.N], 'y');
      const got = await runAndRead(ctx, () => xnorMatmul(ctx, xt, wt, bt, yt, { activationScale: c.scale, act, gemm }), yt);
      const want = xnorMatmulRef(x, c.M, c.K, w, c.N, bias, { activationScale: c.scale, act });
      expectMatch(got, want, act);
      if (c.pm1) expect(got.every((v) => Number.isInteger(v) && Math.abs(v) <= c.K)).toBe(true);
    });
  });

  it('two layers in one submit share one caller-owned scratch', async () => {
    const ctx = await testContext();
    const [M, K, H, N] = [4, 70, 40, 6];
    const x = values(M * K, 1), w1 = values(H * K, 2), w2 = values(N * H, 3), b1 = randomFloats(H, 4);
    const scratch = ctx.acquire('shared-scratch', Math.max(xnorScratchBytes(M, K), xnorScratchBytes(M, H)));
    const opts = { activationScale: true, act: { kind: 'relu' } as Activation, scratch, gemm };
    const xt = tensorOf(ctx, x, [M, K]), ht = emptyTensor(ctx, [M, H]), yt = emptyTensor(ctx, [M, N]);
    const w1t = uploadBinaryWeights(ctx, 'w1', w1, [H, K]), w2t = uploadBinaryWeights(ctx, 'w2', w2, [N, H]);
    const got = await runAndRead(ctx, () => [
      ...xnorMatmul(ctx, xt, w1t, tensorOf(ctx, b1, [H]), ht, { ...opts, label: 'l1' }),
      ...xnorMatmul(ctx, ht, w2t, null, yt, { ...opts, act: { kind: 'none' }, label: 'l2' }),
    ], yt);
    const h = xnorMatmulRef(x, M, K, w1, H, b1, opts);
    expectMatch(got, xnorMatmulRef(h, M, H, w2, N, null, { ...opts, act: { kind: 'none' } }), { kind: 'none' });
  });
});

describe.each(FORMS.map((f) => [f, FORM_FILES[f]] as const))('xnorConv2d vs reference (bit-exact), %s kernels: %s with xnor_pack_common.wgsl, xnor_gemm_io.wgsl', (gemm) => {
  CONV.forEach((c, i) => {
    it(c.name, async () => {
      const ctx = await testContext();
      const [N, C, H, W] = c.x;
      const conv: XnorConvAttrs = {
        strides: c.strides ?? [1, 1], pads: c.pads ?? [0, 0, 0, 0], dilations: c.dilations ?? [1, 1], group: c.group ?? 1,
      };
      const opts = { activationScale: c.scale ?? true, act: actOf(c.act) };
      const wShape = [c.m, C / conv.group, c.k[0], c.k[1]];
      const yShape = [N, c.m,
        convOutSize(H, c.k[0], conv.strides[0], conv.dilations[0], conv.pads[0], conv.pads[2]),
        convOutSize(W, c.k[1], conv.strides[1], conv.dilations[1], conv.pads[1], conv.pads[3])];
      const x = values(sizeOf(c.x), 100 + i);
      const w = c.pm1 ? signs(sizeOf(wShape), 200 + i) : values(sizeOf(wShape), 200 + i);
      const bias = c.bias ? randomFloats(c.m, 300 + i) : null;
      const xt = tensorOf(ctx, x, c.x, 'x');
      const wt = uploadBinaryWeights(ctx, 'w', w, wShape);
      const bt = bias ? tensorOf(ctx, bias, [c.m], 'bias') : null;
      const yt = emptyTensor(ctx, yShape, 'y');
      const got = await runAndRead(ctx, () => xnorConv2d(ctx, xt, wt, bt, yt, conv, { ...opts, gemm }), yt);
      expectMatch(got, xnorConv2dRef(x, c.x, w, wShape, bias, conv, opts, yShape), opts.act);
    });
  });
});

describe('xnor pipelines and validation', () => {
  it('compiles one pack pipeline per (form, SCALE) and one GEMM per (form, activation, bias), never per size', async () => {
    const ctx = await testContext();
    const keys = ctx.pipelineKeys();
    expect(keys.filter((k) => k.startsWith('xnor_pack')).sort()).toEqual(['xnor_pack_rows|SCALE=0', 'xnor_pack_rows|SCALE=1', 'xnor_pack|SCALE=0', 'xnor_pack|SCALE=1']);
    const variants = new Set([...MATMUL, ...CONV].map((c) => `${actOf(c.act).kind}/${Boolean(c.bias)}`));
    expect(keys.filter((k) => k.startsWith('xnor_matmul|')).length).toBe(variants.size);
    expect(keys.filter((k) => k.startsWith('xnor_matmul_reg|')).length).toBe(variants.size);
    // A new size of a known variant compiles nothing.
    const before = ctx.pipelineCompiles;
    const wt = uploadBinaryWeights(ctx, 'w', values(3 * 50, 9), [3, 50]);
    const yt = emptyTensor(ctx, [11, 3]);
    await runAndRead(ctx, () => xnorMatmul(ctx, tensorOf(ctx, values(11 * 50, 8), [11, 50]), wt, null, yt, { activationScale: true, act: { kind: 'none' } }), yt);
    expect(ctx.pipelineCompiles).toBe(before);
  });

  it('rejects shapes that do not fit', async () => {
    const ctx = await testContext();
    const t = (s: number[]) => emptyTensor(ctx, s);
    const opts = { activationScale: false, act: { kind: 'none' } as Activation };
    const w = uploadBinaryWeights(ctx, 'w', values(4 * 10, 1), [4, 10]);
    expect(() => xnorMatmul(ctx, t([2, 9]), w, null, t([2, 4]), opts)).toThrow(/K = 10/);
    expect(() => xnorMatmul(ctx, t([2, 10]), w, null, t([2, 5]), opts)).toThrow(/gives \(2, 4\)/);
    const wc = uploadBinaryWeights(ctx, 'wc', values(4 * 4 * 9, 2), [4, 4, 3, 3]);
    const conv: XnorConvAttrs = { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 2 };
    expect(() => xnorConv2d(ctx, t([1, 6, 4, 4]), wc, null, t([1, 4, 2, 2]), conv, opts)).toThrow(/group 2/);
    expect(() => xnorConv2d(ctx, t([1, 4, 4, 4]), wc, null, t([1, 4, 3, 3]), { ...conv, group: 1 }, opts)).toThrow(/conv gives/);
  });
});
