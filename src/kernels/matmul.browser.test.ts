import { describe, expect, it } from 'vitest';
import { randomFloats } from '../core/rng';
import { compareClose } from '../core/allclose';
import { sizeOf } from '../core/shape';
import { MATMUL_SMALL_M, matmul, matmulKernel, matmulShape, type MatmulAttrs, type MatmulPath } from './matmul';
import { matmulRef } from './matmul.ref';
import { emptyTensor, runAndRead, tensorOf, testContext } from './testing';
import { ACT, type Activation } from './common';

interface Case {
  name: string; a: number[]; b: number[]; c?: number[]; transA?: boolean; transB?: boolean; alpha?: number; beta?: number; act?: Activation;
  path?: MatmulPath;
}

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
  { name: 'silu (efficientnet head)', a: [3, 20], b: [20, 7], c: [7], act: { kind: 'silu' } },
  { name: 'batched 2x3x4x5 @ 5x6, clip', a: [2, 3, 4, 5], b: [5, 6], act: { kind: 'clip', a: -0.5, b: 0.8 } },
  { name: 'broadcast 1x3x4 @ 2x4x5', a: [1, 3, 4], b: [2, 4, 5] },
  { name: 'broadcast 2x1x3x4 @ (1x2x5x4)^T', a: [2, 1, 3, 4], b: [1, 2, 5, 4], transB: true },
  { name: 'batched transA 3x9x2 @ 3x9x4', a: [3, 9, 2], b: [3, 9, 4], transA: true, act: { kind: 'clip', a: 0 } },
  // Small M (<= MATMUL_SMALL_M goes to matmul_small.wgsl): K not a multiple of 4 or 16, N = 1,
  // bias, every fused activation, and M = 17 just past the threshold on the tiled kernel.
  { name: 'small M 1x783 @ (10x783)^T + bias[10], relu', a: [1, 783], b: [10, 783], c: [10], transB: true, act: { kind: 'relu' } },
  { name: 'small M 1x37 @ 37x1, N = 1', a: [1, 37], b: [37, 1] },
  { name: 'small M 1x1 @ 1x70, K = 1', a: [1, 1], b: [1, 70] },
  { name: 'small M 2x19 @ (1x19)^T + bias[1], N = 1, sigmoid', a: [2, 19], b: [1, 19], c: [1], transB: true, act: { kind: 'sigmoid' } },
  { name: 'small M 2x101 @ 101x45 + C (2,45), tanh', a: [2, 101], b: [101, 45], c: [2, 45], alpha: 0.5, beta: -1.5, act: { kind: 'tanh' } },
  { name: 'small M 5x253 @ (67x253)^T + bias[67], leakyRelu', a: [5, 253], b: [67, 253], c: [67], transB: true, act: { kind: 'leakyRelu', a: 0.2 } },
  { name: 'small M 5x31 @ 31x33 + C (5,1), clip', a: [5, 31], b: [31, 33], c: [5, 1], act: { kind: 'clip', a: -0.3, b: 0.4 } },
  { name: 'small M transA (9x5)^T @ 9x40', a: [9, 5], b: [9, 40], transA: true },
  { name: 'small M 16x130 @ (70x130)^T + bias[70], relu', a: [16, 130], b: [70, 130], c: [70], transB: true, act: { kind: 'relu' } },
  { name: 'small M 16x21 @ 21x1 + C scalar, N = 1', a: [16, 21], b: [21, 1], c: [], beta: 2 },
  { name: 'M 17x130 @ (70x130)^T + bias[70], relu (tiled)', a: [17, 130], b: [70, 130], c: [70], transB: true, act: { kind: 'relu' } },
  { name: 'M 17x9 @ 9x1, N = 1, tanh (tiled)', a: [17, 9], b: [9, 1], act: { kind: 'tanh' } },
  { name: 'M 24x50 @ 50x3 + C (24,1), sigmoid (tiled)', a: [24, 50], b: [50, 3], c: [24, 1], act: { kind: 'sigmoid' } },
  { name: 'small M batched 3x2x3x7 @ 3x1x7x5, tanh', a: [3, 2, 3, 7], b: [3, 1, 7, 5], act: { kind: 'tanh' } },
  { name: 'small M folded 2x3x50 @ 50x9', a: [2, 3, 50], b: [50, 9] },
  { name: 'small M broadcast 2x1x3x4 @ (1x2x5x4)^T', a: [2, 1, 3, 4], b: [1, 2, 5, 4], transB: true, path: 'small' },
  { name: 'forced small, M 40 over several row blocks, + C (40,1)', a: [40, 29], b: [29, 70], c: [40, 1], act: { kind: 'relu' }, path: 'small' },
  { name: 'forced tiled, M 3', a: [3, 29], b: [29, 70], c: [70], act: { kind: 'leakyRelu', a: 0.05 }, path: 'tiled' },
];

describe('matmul kernel vs reference (matmul.wgsl, matmul_small.wgsl, matmul_reg.wgsl with matmul_io.wgsl)', () => {
  // Every case on the kernel the adapter picks, and every case but the forced ones on each of the three forms.
  const runs = CASES.flatMap((c, i) => [{ c, i, path: c.path ?? 'auto' as MatmulPath }, ...(c.path ? [] : (['small', 'tiled', 'reg'] as const).map((path) => ({ c, i, path })))]);
  runs.forEach(({ c, i, path }) => {
    it(`${c.name}${path === 'auto' ? '' : ` [${path}]`}`, async () => {
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
      const got = await runAndRead(ctx, () => matmul(ctx, at, bt, ct, yt, attrs, 'matmul', path), yt);
      const want = matmulRef(a, c.a, b, c.b, cv, c.c ?? null, attrs, yShape);
      const r = compareClose(got, want, 1e-4, 1e-5);
      expect(r.ok, r.message).toBe(true);
    });
  });

  it('compiles one pipeline per activation and kernel form, never per size', async () => {
    const ctx = await testContext();
    // Which form a case gets depends on the adapter (smallKernelPays); either way a key names only the
    // form and the activation, and every activation the cases use was compiled in at least one form.
    const keys = ctx.pipelineKeys().filter((k) => k.startsWith('matmul'));
    const acts = new Set(CASES.map((c) => String(ACT[c.act?.kind ?? 'none'])));
    for (const k of keys) expect(k).toMatch(/^matmul(_small|_reg)?\|ACT=\d$/);
    expect(new Set(keys.map((k) => k.split('=')[1]))).toEqual(acts);
    for (const form of ['matmul|', 'matmul_small|', 'matmul_reg|']) expect(keys.filter((k) => k.startsWith(form)).length).toBe(acts.size);
  });

  it('on a GPU picks the small-M kernel up to MATMUL_SMALL_M rows and the tile above; on a software adapter the register-blocked one unless few threads would walk a long K', async () => {
    expect(matmulKernel(1, 10, 784, false)).toBe('small');
    expect(matmulKernel(MATMUL_SMALL_M, 1024, 1024, false)).toBe('small');
    expect(matmulKernel(MATMUL_SMALL_M + 1, 10, 64, false)).toBe('tiled');
    expect(matmulKernel(1, 10, 784, true)).toBe('small'); // 3 threads of K 784
    expect(matmulKernel(1, 128, 784, true)).toBe('small'); // 32 threads
    expect(matmulKernel(1, 1024, 1024, true)).toBe('reg');
    expect(matmulKernel(64, 10, 64, true)).toBe('reg'); // short K
    expect(matmulKernel(64, 800, 128, true)).toBe('reg');
    const ctx = await testContext();
    const attrs: MatmulAttrs = { transA: false, transB: true, alpha: 1, beta: 0, act: { kind: 'none' } };
    const [d] = matmul(ctx, emptyTensor(ctx, [64, 128]), emptyTensor(ctx, [800, 128]), null, emptyTensor(ctx, [64, 800]), attrs);
    expect(d!.pipeline.label).toBe(ctx.info.isFallback ? 'matmul_reg|ACT=0' : 'matmul|ACT=0');
  });

  it('rejects mismatched shapes', async () => {
    const ctx = await testContext();
    const t = (s: number[]) => emptyTensor(ctx, s);
    const attrs: MatmulAttrs = { transA: false, transB: false, alpha: 1, beta: 1, act: { kind: 'none' } };
    expect(() => matmul(ctx, t([2, 3]), t([4, 5]), null, t([2, 5]), attrs)).toThrow(/inner sizes/);
    expect(() => matmul(ctx, t([2, 3]), t([3, 5]), t([3, 5]), t([2, 5]), attrs)).toThrow(/broadcast/);
  });
});
