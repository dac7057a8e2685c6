import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { unary } from './unary';
import { unaryRef } from './unary.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Activation } from './common';

const CASES: { name: string; act: Activation; n: number }[] = [
  { name: 'relu', act: { kind: 'relu' }, n: 1000 },
  { name: 'leakyRelu', act: { kind: 'leakyRelu', a: 0.1 }, n: 7 },
  { name: 'clip', act: { kind: 'clip', a: -0.3, b: 0.5 }, n: 257 },
  { name: 'clip without max', act: { kind: 'clip', a: 0 }, n: 33 },
  { name: 'sigmoid', act: { kind: 'sigmoid' }, n: 64 },
  { name: 'tanh', act: { kind: 'tanh' }, n: 1 },
  { name: 'hardSigmoid', act: { kind: 'hardSigmoid', a: 0.3, b: 0.4 }, n: 129 },
  { name: 'hardSwish', act: { kind: 'hardSwish' }, n: 300 }, // x in [-3, 3]: crosses both kinks at ±3 only at the ends
  { name: 'silu', act: { kind: 'silu' }, n: 65 },
  { name: 'copy', act: { kind: 'none' }, n: 70_000 }, // > 65535 workgroups' worth at WG 1 would fold; checks indexing
];

describe('unary kernel vs reference', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = await testContext();
      const x = randomFloats(c.n, c.n, -3, 3);
      const xt = tensorOf(ctx, x, [c.n]);
      const yt = emptyTensor(ctx, [c.n]);
      const got = await runAndRead(ctx, () => unary(ctx, xt, yt, c.act), yt);
      const r = compareClose(got, unaryRef(x, c.act), 1e-5, 1e-6);
      expect(r.ok, r.message).toBe(true);
    });
  }
});
