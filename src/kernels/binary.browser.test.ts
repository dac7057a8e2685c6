import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { broadcastShapes, sizeOf } from '../core/shape';
import { binary, type BinaryOp } from './binary';
import { binaryRef } from './binary.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { name: string; op: BinaryOp; a: number[]; b: number[] }[] = [
  { name: 'same shape add', op: 'add', a: [7, 13], b: [7, 13] },
  { name: 'same count, different rank', op: 'mul', a: [3, 5], b: [1, 3, 5] },
  { name: 'tensor - scalar', op: 'sub', a: [5, 7], b: [] },
  { name: 'scalar / tensor', op: 'div', a: [], b: [5, 7] },
  { name: '[3,1] * [1,4]', op: 'mul', a: [3, 1], b: [1, 4] },
  { name: '[2,3,4,5] + [5]', op: 'add', a: [2, 3, 4, 5], b: [5] },
  { name: '[2,3,4,5] / [3,1,1]', op: 'div', a: [2, 3, 4, 5], b: [3, 1, 1] },
  { name: 'rank 6', op: 'sub', a: [2, 1, 3, 1, 5, 2], b: [1, 4, 1, 2, 5, 1] },
  { name: 'same shape, long', op: 'mul', a: [70_003], b: [70_003] },
  { name: 'max with a scalar (Clip lower bound)', op: 'max', a: [4, 9], b: [] },
  { name: 'min broadcast (Clip upper bound)', op: 'min', a: [3, 1, 5], b: [1, 4, 1] },
  // 16.9M outputs > 65535 workgroups x 256: the grid folds into y (small inputs keep uploads cheap).
  { name: 'broadcast, folded grid', op: 'add', a: [3, 1, 62_500], b: [1, 90, 1] },
];

describe('binary kernel vs reference', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const ctx = await testContext();
      const yShape = broadcastShapes(c.a, c.b)!;
      const a = randomFloats(sizeOf(c.a), 2 * i + 1, -3, 3);
      // Divisors kept away from zero so f32 rounding of a huge quotient does not dominate.
      const b = c.op === 'div' ? randomFloats(sizeOf(c.b), 2 * i + 2, 0.5, 2) : randomFloats(sizeOf(c.b), 2 * i + 2, -3, 3);
      const at = tensorOf(ctx, a, c.a, 'a'), bt = tensorOf(ctx, b, c.b, 'b');
      const yt = emptyTensor(ctx, yShape);
      const got = await runAndRead(ctx, () => binary(ctx, c.op, at, bt, yt), yt);
      const r = compareClose(got, binaryRef(c.op, a, c.a, b, c.b), 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
    });
  });

  it('keys pipelines by op and fast path only', async () => {
    const ctx = await testContext();
    // add/mul ran same-shape and broadcast cases, sub/div/max/min broadcast only: 8 of the 12 variants.
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('binary|')).sort()).toEqual([
      'binary|OP=0,SAME_SHAPE=0,WG=256', 'binary|OP=0,SAME_SHAPE=1,WG=256',
      'binary|OP=1,SAME_SHAPE=0,WG=256',
      'binary|OP=2,SAME_SHAPE=0,WG=256', 'binary|OP=2,SAME_SHAPE=1,WG=256',
      'binary|OP=3,SAME_SHAPE=0,WG=256',
      'binary|OP=4,SAME_SHAPE=0,WG=256', 'binary|OP=5,SAME_SHAPE=0,WG=256',
    ]);
    const before = ctx.pipelineCompiles;
    const t = (s: number[]) => emptyTensor(ctx, s);
    binary(ctx, 'add', t([9, 2]), t([2]), t([9, 2]));
    binary(ctx, 'add', t([11]), t([11]), t([11]));
    expect(ctx.pipelineCompiles).toBe(before);
  });

  it('rejects shapes that do not broadcast', async () => {
    const ctx = await testContext();
    const t = (s: number[]) => emptyTensor(ctx, s);
    expect(() => binary(ctx, 'add', t([2, 3]), t([4]), t([2, 3]))).toThrow(/broadcast/);
    expect(() => binary(ctx, 'add', t([2, 3]), t([3]), t([3, 2]))).toThrow(/output/);
  });
});
