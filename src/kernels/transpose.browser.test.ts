import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { transpose } from './transpose';
import { transposeRef } from './transpose.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { name: string; shape: number[]; perm: number[] }[] = [
  { name: '2-D', shape: [7, 13], perm: [1, 0] },
  { name: 'identity', shape: [3, 5], perm: [0, 1] },
  { name: 'rank 1', shape: [9], perm: [0] },
  { name: 'scalar', shape: [], perm: [] },
  { name: 'NCHW -> NHWC', shape: [2, 3, 5, 7], perm: [0, 2, 3, 1] },
  { name: 'NHWC -> NCHW', shape: [2, 5, 7, 3], perm: [0, 3, 1, 2] },
  { name: 'size-1 axes', shape: [1, 4, 1, 6], perm: [3, 2, 0, 1] },
  { name: 'rank 3 reverse', shape: [3, 4, 5], perm: [2, 1, 0] },
  { name: 'rank 6', shape: [2, 3, 1, 4, 2, 3], perm: [5, 0, 3, 1, 4, 2] },
  { name: 'rank 6 partial', shape: [3, 2, 2, 3, 2, 5], perm: [0, 1, 4, 3, 2, 5] },
  { name: 'long', shape: [300, 257], perm: [1, 0] },
];

describe('transpose kernel vs reference', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const ctx = await testContext();
      const x = randomFloats(sizeOf(c.shape), i + 1);
      const xt = tensorOf(ctx, x, c.shape);
      const yt = emptyTensor(ctx, c.perm.map((p) => c.shape[p]!));
      const got = await runAndRead(ctx, () => transpose(ctx, xt, yt, c.perm), yt);
      // A copy: exact.
      const r = compareClose(got, transposeRef(x, c.shape, c.perm), 0, 0);
      expect(r.ok, r.message).toBe(true);
    });
  });

  it('compiles a single pipeline', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('stridedCopy|'))).toHaveLength(1);
  });

  it('rejects a bad perm or output shape', async () => {
    const ctx = await testContext();
    const t = (s: number[]) => emptyTensor(ctx, s);
    expect(() => transpose(ctx, t([2, 3]), t([3, 2]), [0, 0])).toThrow(/permutation/);
    expect(() => transpose(ctx, t([2, 3]), t([2, 3]), [1, 0])).toThrow(/output/);
  });
});
