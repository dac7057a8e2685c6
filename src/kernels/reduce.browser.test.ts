import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { reduce, type ReduceOp } from './reduce';
import { reduceRef } from './reduce.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { op: ReduceOp; shape: number[]; axes: number[]; lo?: number }[] = [
  { op: 'mean', shape: [2, 8, 3, 3], axes: [2, 3] }, // global average pool as exporters write it (x.mean([2, 3]))
  { op: 'sum', shape: [3, 4, 5], axes: [1] }, // a middle axis: kept axes on both sides
  { op: 'max', shape: [3, 4, 5], axes: [0, 2] }, // non-adjacent reduced axes
  { op: 'min', shape: [6, 7], axes: [0, 1] }, // everything into one value
  { op: 'prod', shape: [4, 3], axes: [1], lo: 0.5 },
  { op: 'l1', shape: [2, 3, 4], axes: [2] },
  { op: 'l2', shape: [2, 3, 4], axes: [0] },
  { op: 'sumSquare', shape: [5, 2, 2], axes: [1, 2] },
  { op: 'logSum', shape: [3, 6], axes: [1], lo: 0.1 },
  { op: 'logSumExp', shape: [2, 300], axes: [1], lo: 50 }, // exp(350) overflows f32 without the max shift
  { op: 'sum', shape: [4, 1, 3], axes: [] }, // no axes: a copy
  { op: 'mean', shape: [70, 1000], axes: [1] }, // longer inner loop
];

describe('reduce kernel vs reference', () => {
  for (const c of CASES) {
    it(`${c.op} over [${c.axes}] of [${c.shape}]`, async () => {
      const ctx = await testContext();
      const n = sizeOf(c.shape);
      const x = randomFloats(n, n + c.axes.length, c.lo ?? -2, (c.lo ?? -2) + 4);
      const want = reduceRef(c.op, x, c.shape, c.axes);
      const xt = tensorOf(ctx, x, c.shape);
      const yt = emptyTensor(ctx, [want.length]);
      const got = await runAndRead(ctx, () => reduce(ctx, c.op, xt, yt, c.axes), yt);
      const r = compareClose(got, want, 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
    });
  }

  it('refuses an output that does not hold the kept elements', async () => {
    const ctx = await testContext();
    const xt = tensorOf(ctx, new Float32Array(6), [2, 3]);
    expect(() => reduce(ctx, 'sum', xt, emptyTensor(ctx, [3]), [1])).toThrow('output [3] does not hold the 2 kept elements of [2,3]');
  });
});
