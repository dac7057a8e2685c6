import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { sizeOf } from '../core/shape';
import { pad, type PadMode } from './pad';
import { padRef } from './pad.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

const CASES: { mode: PadMode; shape: number[]; begin: number[]; end: number[]; value?: number }[] = [
  { mode: 'constant', shape: [1, 2, 3, 4], begin: [0, 0, 1, 2], end: [0, 0, 2, 1], value: 1.5 },
  { mode: 'constant', shape: [3, 5], begin: [-1, 2], end: [1, -2] }, // negative pads crop
  { mode: 'reflect', shape: [1, 1, 4, 3], begin: [0, 0, 3, 2], end: [0, 0, 2, 2] },
  { mode: 'reflect', shape: [2, 1], begin: [0, 2], end: [0, 1] }, // a size-1 axis reflects onto itself
  { mode: 'edge', shape: [2, 3, 3], begin: [1, 0, 4], end: [0, 2, 1] },
  { mode: 'wrap', shape: [3, 4], begin: [5, 1], end: [2, 6] }, // pads longer than the axis wrap round again
];

describe('pad kernel vs reference', () => {
  for (const c of CASES) {
    it(`${c.mode} [${c.shape}] by [${c.begin}] / [${c.end}]`, async () => {
      const ctx = await testContext();
      const n = sizeOf(c.shape);
      const x = randomFloats(n, n + 3);
      const out = c.shape.map((d, i) => d + c.begin[i]! + c.end[i]!);
      const xt = tensorOf(ctx, x, c.shape), yt = emptyTensor(ctx, out), vt = tensorOf(ctx, Float32Array.of(c.value ?? 0), [], 'value');
      const got = await runAndRead(ctx, () => pad(ctx, xt, vt, yt, { mode: c.mode, begin: c.begin, end: c.end }), yt);
      expect(got).toEqual(padRef(x, c.shape, c.mode, c.begin, c.end, c.value ?? 0));
    });
  }

  it('refuses an output of the wrong shape', async () => {
    const ctx = await testContext();
    const xt = tensorOf(ctx, new Float32Array(4), [2, 2]);
    const vt = tensorOf(ctx, Float32Array.of(0), [], 'value');
    expect(() => pad(ctx, xt, vt, emptyTensor(ctx, [3, 3]), { mode: 'edge', begin: [1, 1], end: [1, 1] }))
      .toThrow('[2,2] padded by [1,1] / [1,1] is [4,4], not [3,3]');
  });
});
