import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { lrn, type LrnAttrs } from './lrn';
import { lrnRef } from './lrn.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { shape: number[]; attrs: LrnAttrs }[] = [
  { shape: [1, 5, 3, 3], attrs: { size: 3, alpha: 1e-4, beta: 0.75, bias: 1 } }, // ONNX defaults, odd window
  { shape: [2, 7, 4, 2], attrs: { size: 4, alpha: 0.5, beta: 0.6, bias: 2 } }, // even window: one more channel after than before
  { shape: [1, 3, 5], attrs: { size: 9, alpha: 2, beta: 1, bias: 1 } }, // window wider than the channels, 1-D spatial
];

describe('LRN kernel vs reference', () => {
  for (const c of CASES) {
    it(`[${c.shape}] size ${c.attrs.size}`, async () => {
      const ctx = await testContext();
      const n = sizeOf(c.shape);
      const x = randomFloats(n, n + c.attrs.size, -3, 3);
      const xt = tensorOf(ctx, x, c.shape), yt = emptyTensor(ctx, c.shape);
      const got = await runAndRead(ctx, () => lrn(ctx, xt, yt, c.attrs), yt);
      const r = compareClose(got, lrnRef(x, c.shape, c.attrs), 1e-5, 1e-6);
      expect(r.ok, r.message).toBe(true);
    });
  }
});
