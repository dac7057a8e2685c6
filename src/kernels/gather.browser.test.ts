import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import { gather } from './gather';
import { gatherRef } from './gather.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { shape: number[]; indices: number[]; indexShape: number[]; axis: number }[] = [
  { shape: [5, 4], indices: [0, 3, 1], indexShape: [3], axis: 0 }, // embedding-style row lookup
  { shape: [2, 6, 3], indices: [5, -1, 0, -6], indexShape: [2, 2], axis: 1 }, // negative and 2-D indices
  { shape: [3, 4, 2], indices: [1], indexShape: [], axis: 2 }, // scalar index drops the axis
];

// A gather is a copy: results must equal the reference exactly.
describe('gather kernel vs reference', () => {
  for (const c of CASES) {
    it(`[${c.shape}] axis ${c.axis} at [${c.indices}]`, async () => {
      const ctx = await testContext();
      const n = sizeOf(c.shape);
      const x = randomFloats(n, n + c.axis);
      const out = [...c.shape.slice(0, c.axis), ...c.indexShape, ...c.shape.slice(c.axis + 1)];
      const xt = tensorOf(ctx, x, c.shape), ix = tensorOf(ctx, Float32Array.from(c.indices), c.indexShape, 'indices');
      const yt = emptyTensor(ctx, out);
      expect(await runAndRead(ctx, () => gather(ctx, xt, ix, yt, c.axis), yt)).toEqual(gatherRef(x, c.shape, c.indices, c.axis));
    });
  }
});
