import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { matmul, matmulShape, type MatmulAttrs } from './matmul';
import { matmulRef } from './matmul.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import type { Activation } from './common';

interface Case { name: string; a: number[]; b: number[]; c?: number[]; transA?: boolean; transB?: boolean; alpha?: number; beta?: number; act?: Activation }

const CASES: Case[] = [
  { name: 'Gemm 1x784 @ (10x784)^T + bias[10]', a: [1, 784], b: [10, 784], c: [10], transB: true },
  { name: 'M = 1', a: [1, 7], b: [7, 9] },
  { name: 'N = 1', a: [9, 7], b: [7, 1] },
  { name: 'K = 1', a: [5, 1], b: [1, 6] },
  { name: 'K = 7 odd', a: [13, 7], b: [7, 11] },
  { name: '33x17x65', a: [33, 17], b: [17, 65] },
  { name: 'several tiles 70x20x130', a: [70, 20], b: [20, 130] },
  { name: 'transA, relu', a: [17, 33], b: [17, 65], transA: true, act: { kind: 'relu' } },
  { name: 'transA+transB, alpha/beta, C (M,N)', a: [19, 21], b: [23, 19], c: [21, 23], transA: true, transB: true, alpha: 0.5, beta: -2 },
  { name: 'C (M,1), sigmoid', a: [6, 9], b: [9, 5], c: [6, 1], beta: 0.7, act: { kind: 'sigmoid' } },
  { name: 'C scalar, tanh', a: [4, 3], b: [3, 8], c: [], alpha: 2, act: { kind: 'tanh' } },
  { name: 'C (1,N), leakyRelu', a: [5, 18], b: [18, 3], c: [1, 3], act: { kind: 'leakyRelu', a: 0.1 } },
  { name: 'batched 2x3x4x5 @ 5x6, clip', a: [2, 3, 4, 5], b: [5, 6], act: { kind: 'clip', a: -0.5, b: 0.8 } },
  { name: 'broadcast 1x3x4 @ 2x4x5', a: [1, 3, 4], b: [2, 4, 5] },
  { name: 'broadcast 2x1x3x4 @ (1x2x5x4)^T', a: [2, 1, 3, 4], b: [1, 2, 5, 4], transB: true },
  { name: 'batched transA 3x9x2 @ 3x9x4', a: [3, 9, 2], b: [3, 9, 4], transA: true, act: { kind: 'clip', a: 0 } },
];

describe('matmul kernel vs reference', () => {
  CASES.forEach((c, i) => {
    it(c.name, async () => {
      const ctx = await testContext();
      const attrs: MatmulAttrs = {
        transA: c.transA ?? false, transB: c.transB ?? false, alpha: c.alpha ?? 1, beta: c.beta ?? 1, act: c.act ?? { kind: 'none' },
      };
      const yShape = matmulShape(c.a, c.b, attrs.transA, attrs.transB);
      const a = randomFloats(sizeOf(c.a), 3 * i + 1);
      const b = randomFloats(sizeOf(c.b), 3 * i + 2);
      const cv = c.c ? randomFloats(sizeOf(c.c), 3 * i + 3) : null;
      const at = tensorOf(ctx, a, c.a, 'a'), bt = tensorOf(ctx, b, c.b, 'b');
      const ct = cv && c.c ? tensorOf(ctx, cv, c.c, 'c') : null;
      const yt = emptyTensor(ctx, yShape);
      const got = await runAndRead(ctx, () => matmul(ctx, at, bt, ct, yt, attrs), yt);
      const want = matmulRef(a, c.a, b, c.b, cv, c.c ?? null, attrs, yShape);
      const r = compareClose(got, want, 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
    });
  });

  it('compiles one pipeline per activation, never per size', async () => {
    const ctx = await testContext();
    expect(ctx.pipelineKeys().filter((k) => k.startsWith('matmul|')).sort()).toEqual([0, 1, 2, 3, 4, 5].map((a) => `matmul|ACT=${a}`));
  });

  it('rejects mismatched shapes', async () => {
    const ctx = await testContext();
    const t = (s: number[]) => emptyTensor(ctx, s);
    const attrs: MatmulAttrs = { transA: false, transB: false, alpha: 1, beta: 1, act: { kind: 'none' } };
    expect(() => matmul(ctx, t([2, 3]), t([4, 5]), null, t([2, 5]), attrs)).toThrow(/inner sizes/);
    expect(() => matmul(ctx, t([2, 3]), t([3, 5]), t([3, 5]), t([2, 5]), attrs)).toThrow(/broadcast/);
  });
});
