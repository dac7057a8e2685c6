import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { softmax } from './softmax';
import { softmaxRef } from './softmax.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

/** Two rows of `len`: row 0 mixes -inf, huge and ordinary values; row 1 is all huge and equal. */
function extremes(len: number): () => Float32Array {
  return () => {
    const x = randomFloats(2 * len, 99, -5, 5);
    x.set([-Infinity, 3e38, -3e38, 1e30, 1e30 - 1e24, -Infinity, 0], 0);
    x.fill(1e37, len, 2 * len);
    return x;
  };
}

const CASES: { name: string; shape: number[]; axis: number; data?: () => Float32Array }[] = [
  { name: 'classes (batch 3, 10)', shape: [3, 10], axis: 1 },
  { name: 'row length 1', shape: [5, 1], axis: 1 },
  { name: 'row length 1000', shape: [2, 1000], axis: 1 },
  { name: 'rank 1', shape: [7], axis: 0 },
  { name: 'middle axis (N, C, H, W) over C', shape: [2, 5, 3, 3], axis: 1 },
  { name: 'first axis', shape: [6, 4], axis: 0 },
  { name: 'negative axis', shape: [2, 3, 9], axis: -1 },
  { name: 'rank 6', shape: [2, 1, 3, 2, 5, 2], axis: 4 },
  { name: 'large magnitudes', shape: [4, 65], axis: 1, data: () => randomFloats(260, 7, -80, 80) },
  { name: '-inf and huge values', shape: [2, 7], axis: 1, data: extremes(7) },
  // Rows longer than SOFTMAX_ROW_PER_THREAD_MAX take the workgroup-per-row path.
  { name: '-inf and huge values, long rows', shape: [2, 40], axis: 1, data: extremes(40) },
  { name: 'middle axis, long rows', shape: [2, 100, 3], axis: 1 },
  { name: 'row length 33', shape: [3, 33], axis: 1 },
];

describe('softmax kernel vs reference', () => {
  CASES.forEach((c, i) => {
    for (const log of [false, true]) {
      it(`${c.name}${log ? ' (log)' : ''}`, async () => {
        const ctx = await testContext();
        const x = c.data?.() ?? randomFloats(sizeOf(c.shape), i + 1, -4, 4);
        const xt = tensorOf(ctx, x, c.shape);
        const yt = emptyTensor(ctx, c.shape);
        const got = await runAndRead(ctx, () => softmax(ctx, xt, yt, c.axis, log), yt);
        const axis = c.axis < 0 ? c.axis + c.shape.length : c.axis;
        const r = compareClose(got, softmaxRef(x, c.shape, axis, log), 1e-4, 1e-5);
        expect(r.ok, r.message).toBe(true);
      });
    }
  });

  it('folds more than 65535 workgroups (one per row) into grid y', async () => {
    const ctx = await testContext();
    const shape = [65_537, 33];
    const x = randomFloats(sizeOf(shape), 5, -4, 4);
    const xt = tensorOf(ctx, x, shape);
    const yt = emptyTensor(ctx, shape);
    const got = await runAndRead(ctx, () => softmax(ctx, xt, yt, 1, false), yt);
    const r = compareClose(got, softmaxRef(x, shape, 1, false), 1e-4, 1e-5);
    expect(r.ok, r.message).toBe(true);
  });

  it('compiles one pipeline per log flag', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().sort()).toEqual(['softmax|LOG=0,WG=64', 'softmax|LOG=1,WG=64']);
  });
});
