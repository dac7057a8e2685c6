import { describe, expect, it } from 'vitest';
import { makeRng } from '../core/rng';
import { augmentWords, batchGather, PAD_INDEX, uploadItems } from './batch-gather';
import { batchGatherRef } from './batch-gather.ref';
import { emptyTensor, testContext } from './testing';
import type { Preprocess } from '../data/dataset';

describe('batch gather (batch_gather.wgsl): training minibatches from a dataset on the GPU', () => {
  const rng = makeRng(7);
  const itemSize = 13, count = 37; // odd sizes: bytes straddle u32 words
  const bytes = Uint8Array.from({ length: count * itemSize }, () => Math.floor(rng() * 256));
  const floats = Float32Array.from({ length: count * itemSize }, () => rng() * 4 - 2);
  const classes = Int32Array.from({ length: count }, () => Math.floor(rng() * 10));
  const indices = Uint32Array.from([36, 0, 5, 5, 17, PAD_INDEX, 1]);
  const cases: [string, Uint8Array | Float32Array, Preprocess][] = [
    ['bytes, normalize', bytes, { kind: 'normalize', mean: 0.1307, std: 0.3081 }],
    ['bytes, unit', bytes, { kind: 'unit' }],
    ['bytes, raw', bytes, { kind: 'raw' }],
    ['floats, raw', floats, { kind: 'raw' }],
  ];
  for (const [name, images, pre] of cases) {
    it(name, async () => {
      const ctx = await testContext();
      const items = uploadItems(ctx, images, classes, itemSize);
      const idx = ctx.upload('indices', indices);
      const x = emptyTensor(ctx, [indices.length, itemSize], 'x'), labels = emptyTensor(ctx, [indices.length], 'labels');
      await ctx.checked('batch gather', () => ctx.submit(batchGather(ctx, items, idx, x, labels, pre)));
      const want = batchGatherRef(images, classes, itemSize, indices, pre);
      const gotX = await ctx.readF32(x.buffer, indices.length * itemSize);
      const gotL = await ctx.readF32(labels.buffer, indices.length);
      expect(Array.from(gotL)).toEqual(Array.from(want.labels));
      expect(gotL[5]).toBe(-1);
      for (let i = 0; i < gotX.length; i++) expect(Math.abs(gotX[i]! - want.x[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want.x[i]!)));
      expect(Array.from(gotX.subarray(5 * itemSize, 6 * itemSize))).toEqual(new Array(itemSize).fill(0));
    });
  }

  // Colour images 3×4×5 (NCHW) and 4×5×3 (NHWC) with per-channel normalisation, with and without crop + flip.
  const H = 4, W = 5, C = 3, size = H * W * C;
  const colour = Uint8Array.from({ length: count * size }, () => Math.floor(rng() * 256));
  const words = augmentWords(indices.length, 2, true, makeRng(3));
  for (const layout of ['NCHW', 'NHWC'] as const) {
    for (const augmented of [false, true]) {
      it(`colour ${layout}, per-channel normalize${augmented ? ', random crop (pad 2) and flip' : ''}`, async () => {
        const pre: Preprocess = { kind: 'channels', mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26], layout };
        const ctx = await testContext();
        const items = uploadItems(ctx, colour, classes, size);
        const idx = ctx.upload('indices', indices);
        const aug = augmented ? { words: ctx.upload('aug', words), height: H, width: W, pad: 2 } : undefined;
        const x = emptyTensor(ctx, [indices.length, size], 'x'), labels = emptyTensor(ctx, [indices.length], 'labels');
        await ctx.checked('batch gather', () => ctx.submit(batchGather(ctx, items, idx, x, labels, pre, 'gather', aug)));
        const want = batchGatherRef(colour, classes, size, indices, pre, augmented ? { words, height: H, width: W, pad: 2 } : undefined);
        const gotX = await ctx.readF32(x.buffer, indices.length * size);
        for (let i = 0; i < gotX.length; i++) expect(Math.abs(gotX[i]! - want.x[i]!), `value ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want.x[i]!)));
        if (augmented) {
          // Some rows were shifted into the zero padding: their padded pixels read (0 − mean)/std.
          expect(Array.from(want.x).some((v) => Math.abs(v - (0 - 0.49) / 0.25) < 1e-6)).toBe(true);
        }
      });
    }
  }
});
