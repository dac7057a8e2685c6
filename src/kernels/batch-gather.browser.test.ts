import { describe, expect, it } from 'vitest';
import { makeRng } from '../core/rng';
import { batchGather, PAD_INDEX, uploadItems } from './batch-gather';
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
});
