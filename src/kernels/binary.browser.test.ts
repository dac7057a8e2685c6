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
  // Rows of at least 32 with one value a row in the other operand: the row modes (64-wide workgroups below 128).
  { name: 'squeeze-excite scale [2,3,17,19] * [2,3,1,1] (rows, b per row)', op: 'mul', a: [2, 3, 17, 19], b: [2, 3, 1, 1] },
  { name: 'per-row a: [1,4,1,1] - [1,4,20,10] (rows, a per row)', op: 'sub', a: [1, 4, 1, 1], b: [1, 4, 20, 10] },
  { name: 'rows of 49, 64-wide: [2,5,7,7] * [2,5,1,1]', op: 'mul', a: [2, 5, 7, 7], b: [2, 5, 1, 1] },
  { name: 'rows of 20 stay strided: [1,5,4,5] * [1,5,1,1]', op: 'mul', a: [1, 5, 4, 5], b: [1, 5, 1, 1] },
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

  it('keys pipelines by op and index mode only', async () => {
    const ctx = await testContext();
    // Strided for every op; same shape for add and mul; rows with b per row for mul (both widths), with a per row for sub.
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('binary|')).sort()).toEqual([
      'binary|MODE=0,OP=0,WG=256', 'binary|MODE=0,OP=1,WG=256', 'binary|MODE=0,OP=2,WG=256', 'binary|MODE=0,OP=3,WG=256',
      'binary|MODE=0,OP=4,WG=256', 'binary|MODE=0,OP=5,WG=256',
      'binary|MODE=1,OP=0,WG=256', 'binary|MODE=1,OP=2,WG=256',
      'binary|MODE=2,OP=2,WG=256', 'binary|MODE=2,OP=2,WG=64', 'binary|MODE=3,OP=1,WG=256',
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
