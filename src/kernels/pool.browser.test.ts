import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { globalAvgPool, globalAvgPoolScratch, pool2d, type PoolAttrs } from './pool';
import { globalAvgPoolRef, pool2dRef } from './pool.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

interface Case {
  name: string;
  x: [number, number, number, number]; // (N, C, H, W)
  kind: 'max' | 'avg';
  k: [number, number];
  strides?: [number, number];
  pads?: [number, number, number, number];
  dilations?: [number, number];
  countIncludePad?: boolean;
  ceil?: boolean;
}

// The ceil_mode and count_include_pad cases were checked against onnxruntime-node (same outputs).
const CASES: Case[] = [
  { name: 'max 2x2 stride 2 (LeNet)', kind: 'max', x: [1, 6, 28, 28], k: [2, 2], strides: [2, 2] },
  { name: 'max 3x3 stride 2 pad 1, odd sizes', kind: 'max', x: [2, 3, 13, 11], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'max ceil_mode, window past the end', kind: 'max', x: [1, 2, 6, 6], k: [2, 2], strides: [2, 2], ceil: true },
  { name: 'max ceil_mode, asymmetric pads, dilation 2', kind: 'max', x: [1, 2, 9, 8], k: [3, 3], strides: [2, 2], pads: [1, 2, 0, 1], dilations: [2, 2], ceil: true },
  { name: 'max all-negative input with padding', kind: 'max', x: [1, 1, 5, 5], k: [3, 3], pads: [1, 1, 1, 1] },
  { name: 'avg exclude pad', kind: 'avg', x: [1, 3, 7, 9], k: [3, 3], pads: [1, 1, 1, 1] },
  { name: 'avg include pad', kind: 'avg', x: [1, 3, 7, 9], k: [3, 3], pads: [1, 1, 1, 1], countIncludePad: true },
  { name: 'avg include pad, ceil_mode past padded end', kind: 'avg', x: [1, 2, 7, 8], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true, ceil: true },
  { name: 'avg exclude pad, ceil_mode', kind: 'avg', x: [1, 2, 7, 8], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil: true },
  { name: 'avg include pad, ceil_mode, no pads', kind: 'avg', x: [1, 2, 6, 6], k: [3, 3], strides: [2, 2], countIncludePad: true, ceil: true },
  { name: 'avg include pad, asymmetric pads, stride (2,3)', kind: 'avg', x: [1, 1, 9, 10], k: [3, 2], strides: [2, 3], pads: [2, 0, 1, 1], countIncludePad: true, ceil: true },
  { name: 'avg include pad, dilation 2, ceil_mode', kind: 'avg', x: [1, 1, 9, 10], k: [3, 2], strides: [2, 3], pads: [2, 0, 1, 1], dilations: [2, 2], countIncludePad: true, ceil: true },
  { name: 'avg exclude pad, dilation 2, N=3', kind: 'avg', x: [3, 2, 9, 10], k: [3, 2], strides: [2, 3], pads: [2, 0, 1, 1], dilations: [2, 2] },
  { name: 'avg 1-D as H=1', kind: 'avg', x: [2, 3, 1, 17], k: [1, 4], strides: [1, 3], pads: [0, 1, 0, 2], countIncludePad: true, ceil: true },
  // Windows of padding alone (onnxruntime refuses pads >= kernel, so these are our own definition,
  // the value its loops would give): max -> lowest f32, average -> 0.
  { name: 'max, windows of padding alone', kind: 'max', x: [1, 2, 4, 5], k: [2, 2], pads: [2, 3, 2, 2] },
  { name: 'avg include pad, windows of padding alone', kind: 'avg', x: [1, 2, 4, 5], k: [2, 2], pads: [2, 3, 2, 2], countIncludePad: true },
  { name: 'avg exclude pad, windows of padding alone', kind: 'avg', x: [1, 2, 4, 5], k: [2, 2], pads: [2, 3, 2, 2] },
  // 4.2M outputs > 65535 workgroups of 64: checks the y-folded grid.
  { name: 'large dispatch folds into y', kind: 'max', x: [1, 1, 2049, 2049], k: [1, 1] },
];

/** ONNX output size; with ceil_mode a window must still start inside the input or left padding. */
function outSize(i: number, k: number, s: number, d: number, p0: number, p1: number, ceil: boolean): number {
  const span = i + p0 + p1 - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= i + p0) o--;
  return o;
}

function attrsOf(c: Case): PoolAttrs {
  return {
    kind: c.kind, kernel: c.k, strides: c.strides ?? [1, 1], pads: c.pads ?? [0, 0, 0, 0],
    dilations: c.dilations ?? [1, 1], countIncludePad: c.countIncludePad ?? false,
  };
}

describe('pool2d kernel vs reference', () => {
  for (const [idx, c] of CASES.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const a = attrsOf(c);
      const [N, C, H, W] = c.x;
      const yShape = [N, C,
        outSize(H, a.kernel[0], a.strides[0], a.dilations[0], a.pads[0], a.pads[2], c.ceil ?? false),
        outSize(W, a.kernel[1], a.strides[1], a.dilations[1], a.pads[1], a.pads[3], c.ceil ?? false)];
      const hi = c.name.includes('all-negative') ? -0.5 : 1;
      const x = randomFloats(sizeOf(c.x), 400 + idx, -1, hi);
      const xt = tensorOf(ctx, x, c.x, 'x');
      const yt = emptyTensor(ctx, yShape, 'y');
      const got = await runAndRead(ctx, () => pool2d(ctx, xt, yt, a), yt);
      const r = compareClose(got, pool2dRef(x, c.x, a, yShape), 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
      ctx.release(xt.buffer);
      ctx.release(yt.buffer);
    });
  }

  it('compiles two pool2d pipelines (max, avg), never one per size or count_include_pad', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('pool2d|')).length).toBe(2);
  });
});

describe('globalAvgPool kernels (global_avg_pool_rows.wgsl for H*W <= 64; above, global_avg_pool_chunks.wgsl then the rows kernel over its slices) vs reference', () => {
  const G: { name: string; x: [number, number, number, number] }[] = [
    { name: '1x1 spatial (a row per thread)', x: [2, 5, 1, 1] },
    { name: 'odd spatial (a row per thread)', x: [3, 7, 5, 3] },
    { name: '7x7 ResNet head (a row per thread)', x: [2, 33, 7, 7] },
    { name: 'wide head, 1280 channels at 2x2 (a row per thread, several workgroups)', x: [3, 1280, 2, 2] },
    { name: '8x9, just past the per-thread limit (one slice a row, 72 values: 18 quads)', x: [2, 5, 8, 9] },
    { name: '16x16 + 1 column: one full slice of 256 and a tail of 16', x: [2, 3, 16, 17] },
    { name: 'large H*W, odd: 354 slices a row, the last of 44 values', x: [1, 3, 300, 301] },
    { name: 'efficientnet-like 112x112 squeeze, N = 2', x: [2, 6, 112, 112] },
  ];
  for (const [idx, c] of G.entries()) {
    it(c.name, async () => {
      const ctx = await testContext();
      const x = randomFloats(sizeOf(c.x), 500 + idx, -1, 3);
      const xt = tensorOf(ctx, x, c.x, 'x');
      const yt = emptyTensor(ctx, [c.x[0], c.x[1], 1, 1], 'y');
      const need = globalAvgPoolScratch(c.x);
      const scratch = need ? ctx.acquire('scratch', need * 4) : undefined;
      const got = await runAndRead(ctx, () => {
        const d = globalAvgPool(ctx, xt, yt, 'gap', scratch);
        expect(d.map((x) => x.pipeline.label.split('|')[0])).toEqual(need ? ['globalAvgPoolChunks', 'globalAvgPoolRows'] : ['globalAvgPoolRows']);
        return d;
      }, yt);
      const r = compareClose(got, globalAvgPoolRef(x, c.x), 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
      for (const b of [xt.buffer, yt.buffer, scratch]) if (b) ctx.release(b);
    });
  }

  it('compiles one pipeline per kernel whatever the sizes', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('globalAvgPoolChunks|')).length).toBe(1);
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('globalAvgPoolRows|')).length).toBe(1);
  });

  it('refuses a large map without scratch enough for its slices', async () => {
    const ctx = await testContext();
    const xt = emptyTensor(ctx, [1, 2, 20, 20]), yt = emptyTensor(ctx, [1, 2, 1, 1]);
    expect(globalAvgPoolScratch(xt.shape)).toBe(4); // 2 rows of 400 values: 2 slices each
    expect(() => globalAvgPool(ctx, xt, yt)).toThrow(/needs a scratch buffer of 16 bytes/);
    ctx.release(xt.buffer); ctx.release(yt.buffer);
  });
});
