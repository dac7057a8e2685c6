import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { fakeQuant } from './fake-quant';
import { fakeQuantRef } from './fake-quant.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

describe('fakeQuant kernel (fake_quant.wgsl) vs reference (bit-exact)', () => {
  const cases = [
    { name: 'symmetric', scale: 0.02, zero: 0, lo: -3, hi: 3, n: 1001 },
    { name: 'asymmetric after ReLU', scale: 0.0117, zero: -128, lo: 0, hi: 3, n: 257 },
    { name: 'clamps outliers', scale: 0.001, zero: 5, lo: -10, hi: 10, n: 64 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = await testContext();
      const x = randomFloats(c.n, c.n, c.lo, c.hi);
      // Exact ties: values that land on .5 steps test round-half-to-even.
      for (let i = 0; i < 8 && i < c.n; i++) x[i] = (i + 0.5) * c.scale;
      const xt = tensorOf(ctx, x, [c.n]), yt = emptyTensor(ctx, [c.n]);
      const got = await runAndRead(ctx, () => fakeQuant(ctx, xt, yt, c.scale, c.zero), yt);
      const want = fakeQuantRef(x, c.scale, c.zero);
      const bad = got.findIndex((v, i) => !Object.is(v, want[i]));
      expect(bad, bad >= 0 ? `x=${x[bad]} got ${got[bad]} want ${want[bad]}` : '').toBe(-1);
    });
  }
});
