import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { concat } from './concat';
import { concatRef } from './concat.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { name: string; shapes: number[][]; axis: number }[] = [
  { name: 'rank 1', shapes: [[3], [5], [1]], axis: 0 },
  { name: 'rows', shapes: [[2, 7], [3, 7]], axis: 0 },
  { name: 'columns', shapes: [[4, 3], [4, 1], [4, 5]], axis: 1 },
  { name: 'channels (NCHW)', shapes: [[2, 3, 5, 5], [2, 1, 5, 5], [2, 4, 5, 5]], axis: 1 },
  { name: 'last axis, rank 4', shapes: [[2, 3, 2, 3], [2, 3, 2, 4]], axis: 3 },
  { name: 'single input', shapes: [[3, 5]], axis: 1 },
  { name: 'empty input skipped', shapes: [[2, 0, 3], [2, 4, 3], [2, 1, 3]], axis: 1 },
  { name: 'rank 6, middle axis', shapes: [[2, 1, 3, 2, 2, 3], [2, 1, 1, 2, 2, 3], [2, 1, 2, 2, 2, 3]], axis: 2 },
  { name: 'many inputs', shapes: Array.from({ length: 9 }, (_, i) => [3, i + 1, 2]), axis: 1 },
];

describe('concat kernel vs reference', () => {
  CASES.forEach((c, ci) => {
    it(c.name, async () => {
      const ctx = await testContext();
      const xs = c.shapes.map((s, k) => randomFloats(sizeOf(s), 10 * ci + k + 1));
      const ts = xs.map((x, k) => tensorOf(ctx, x, c.shapes[k]!, `x${k}`));
      const yShape = c.shapes[0]!.map((d, i) => (i === c.axis ? c.shapes.reduce((s, sh) => s + sh[i]!, 0) : d));
      const yt = emptyTensor(ctx, yShape);
      const got = await runAndRead(ctx, () => concat(ctx, ts, yt, c.axis), yt);
      const r = compareClose(got, concatRef(xs, c.shapes, c.axis), 0, 0);
      expect(r.ok, r.message).toBe(true);
    });
  });

  it('shares the strided-copy pipeline', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys()).toEqual(['stridedCopy|WG=256']);
  });

  it('rejects inputs that do not fit the output', async () => {
    const ctx = await testContext();
    const t = (s: number[]) => emptyTensor(ctx, s);
    expect(() => concat(ctx, [t([2, 3]), t([3, 3])], t([2, 6]), 1)).toThrow(/does not match/);
    expect(() => concat(ctx, [t([2, 3]), t([2, 2])], t([2, 6]), 1)).toThrow(/add up/);
  });
});
