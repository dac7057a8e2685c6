import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { sizeOf, stridesOf } from '../core/shape';
import { expand, sliceCopy, split, tile } from './tensor-copy';
import { expandRef, sliceRef, splitRef, tileRef } from './tensor-copy.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { GpuContext } from '../gpu/context';

// Copies are exact: results must equal the reference bit for bit.
async function input(shape: number[]): Promise<{ ctx: GpuContext; x: Float32Array; xt: ReturnType<typeof tensorOf> }> {
  const ctx = await testContext();
  const x = randomFloats(sizeOf(shape), sizeOf(shape) + shape.length);
  return { ctx, x, xt: tensorOf(ctx, x, shape) };
}

const SLICES: { shape: number[]; begin: number[]; steps: number[]; dims: number[] }[] = [
  { shape: [4, 6], begin: [1, 2], steps: [1, 1], dims: [2, 3] },
  { shape: [5, 7], begin: [4, 6], steps: [-1, -2], dims: [5, 4] }, // backwards: negative strides wrap in u32
  { shape: [2, 3, 8, 8], begin: [0, 1, 1, 0], steps: [1, 1, 2, 3], dims: [2, 2, 4, 3] },
];

const SPLITS: { shape: number[]; axis: number; sizes: number[] }[] = [
  { shape: [1, 8, 3, 3], axis: 1, sizes: [4, 4] }, // shufflenet's chunk(2, dim=1)
  { shape: [6, 5], axis: 1, sizes: [2, 0, 3] }, // a zero-size piece
  { shape: [7], axis: 0, sizes: [3, 3, 1] },
];

const EXPANDS: { shape: number[]; out: number[] }[] = [
  { shape: [3, 1], out: [2, 3, 4] },
  { shape: [1], out: [5, 2] },
  { shape: [2, 1, 3], out: [2, 4, 3] },
];

const TILES: { shape: number[]; reps: number[] }[] = [
  { shape: [2, 3], reps: [2, 3] },
  { shape: [1, 4, 2], reps: [3, 1, 2] },
  { shape: [5], reps: [1] },
];

describe('strided copies (Slice, Split, Expand, Tile) vs reference', () => {
  for (const c of SLICES) {
    it(`slice [${c.shape}] from [${c.begin}] step [${c.steps}]`, async () => {
      const { ctx, x, xt } = await input(c.shape);
      const st = stridesOf(c.shape);
      const yt = emptyTensor(ctx, c.dims);
      const offset = c.begin.reduce((acc, b, a) => acc + b * st[a]!, 0);
      const got = await runAndRead(ctx, () => sliceCopy(ctx, xt, yt, offset, st.map((s, a) => s * c.steps[a]!)), yt);
      expect(got).toEqual(sliceRef(x, c.shape, c.begin, c.steps, c.dims));
    });
  }
  for (const c of SPLITS) {
    it(`split [${c.shape}] along ${c.axis} into [${c.sizes}]`, async () => {
      const { ctx, x, xt } = await input(c.shape);
      const ys = c.sizes.map((s, k) => emptyTensor(ctx, c.shape.map((d, i) => (i === c.axis ? s : d)), `y${k}`));
      await ctx.checked('split', () => ctx.submit(split(ctx, xt, ys, c.axis)));
      const want = splitRef(x, c.shape, c.axis, c.sizes);
      for (const [k, y] of ys.entries()) {
        const n = sizeOf(y.shape);
        expect(n ? await ctx.readF32(y.buffer, n) : new Float32Array(0), `piece ${k}`).toEqual(want[k]);
      }
    });
  }
  for (const c of EXPANDS) {
    it(`expand [${c.shape}] to [${c.out}]`, async () => {
      const { ctx, x, xt } = await input(c.shape);
      const yt = emptyTensor(ctx, c.out);
      expect(await runAndRead(ctx, () => expand(ctx, xt, yt), yt)).toEqual(expandRef(x, c.shape, c.out));
    });
  }
  for (const c of TILES) {
    it(`tile [${c.shape}] by [${c.reps}]`, async () => {
      const { ctx, x, xt } = await input(c.shape);
      const yt = emptyTensor(ctx, c.shape.map((d, i) => d * c.reps[i]!));
      expect(await runAndRead(ctx, () => tile(ctx, xt, yt, c.reps), yt)).toEqual(tileRef(x, c.shape, c.reps));
    });
  }
  it('refuses split outputs that do not cover the axis', async () => {
    const { ctx, xt } = await input([4, 2]);
    expect(() => split(ctx, xt, [emptyTensor(ctx, [3, 2])], 0)).toThrow('outputs take 3 of the 4 entries along axis 0');
  });
});
