import { describe, expect, it } from 'vitest';
import { makeRng, randomFloats } from '../core/rng';
import { applyMask } from './mask';
import { applyMaskRef } from './mask.ref';
import { runAndRead, tensorOf, testContext } from './testing';

/** A 0/1 mask with about `density` ones, seeded. */
function maskOf(n: number, density: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => (rng() < density ? 1 : 0));
}

describe('applyMask kernel (apply_mask.wgsl) vs reference', () => {
  const cases = [
    { n: 1, density: 0 }, { n: 1000, density: 0.5 }, { n: 4099, density: 0.1 }, { n: 777, density: 1 },
    // More than 65535 workgroups of 64: the grid folds into y.
    { n: 64 * 65535 + 3, density: 0.25 },
  ];
  for (const [k, c] of cases.entries()) {
    it(`${c.n} weights at density ${c.density}`, async () => {
      const ctx = await testContext();
      const w = randomFloats(c.n, 300 + k, -1, 1);
      w[0] = NaN; // a diverged weight that is pruned must still come out zero
      const mask = maskOf(c.n, c.density, 400 + k);
      const pt = tensorOf(ctx, w, [c.n], 'param');
      const got = await runAndRead(ctx, () => applyMask(ctx, pt, tensorOf(ctx, mask, [c.n], 'mask')), pt);
      const want = Float32Array.from(w);
      applyMaskRef(want, mask);
      let bad = -1;
      for (let i = 0; i < c.n && bad < 0; i++) if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]!) && Number.isNaN(want[i]!))) bad = i;
      expect(bad, bad >= 0 ? `element ${bad}: ${got[bad]} vs ${want[bad]} (mask ${mask[bad]})` : '').toBe(-1);
      const zeros = got.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
      expect(zeros).toBeGreaterThanOrEqual(mask.reduce((a, m) => a + (m === 0 ? 1 : 0), 0));
    });
  }
  it('refuses a mask of another size', async () => {
    const ctx = await testContext();
    expect(() => applyMask(ctx, tensorOf(ctx, new Float32Array(8), [8]), tensorOf(ctx, new Float32Array(4), [4]))).toThrow(/mask holds 4 values, the parameter 8/);
  });
});
