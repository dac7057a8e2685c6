import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { batchNormParams } from './batchnorm-params';
import { batchNormToAffine } from './channel-affine';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';

describe('batchNormParams kernel (batchnorm_params.wgsl) vs batchNormToAffine', () => {
  for (const [C, eps] of [[1, 1e-5], [3, 1e-2], [130, 1e-5]] as const) {
    it(`C=${C}, epsilon=${eps}`, async () => {
      const ctx = await testContext();
      const [g, b, m] = [1, 2, 3].map((s) => randomFloats(C, s * C, -2, 2));
      const v = randomFloats(C, 4 * C, 0, 3);
      const t = (d: Float32Array) => tensorOf(ctx, d, [C]);
      const scale = emptyTensor(ctx, [C]), shift = emptyTensor(ctx, [C]);
      const gotScale = await runAndRead(ctx, () => batchNormParams(ctx, t(g!), t(b!), t(m!), t(v), scale, shift, eps), scale);
      const gotShift = await ctx.readF32(shift.buffer, C);
      const want = batchNormToAffine(g!, b!, m!, v, eps);
      for (const [got, exp] of [[gotScale, want.scale], [gotShift, want.shift]] as const) {
        const r = compareClose(got, exp, 1e-5, 1e-6);
        expect(r.ok, r.message).toBe(true);
      }
    });
  }
});
